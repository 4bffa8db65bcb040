//! The collections API actions wrapped in their request hooks
//! (`onCollectionCreateRequest`, `onCollectionUpdateRequest`,
//! `onCollectionDeleteRequest`). The save or delete runs as the innermost
//! step, so a handler that does not call next stops it, and a handler can
//! act after the change (automigrate writes its migration file there).

use std::sync::Arc;

use super::Collection;
use crate::core::app::App;
use crate::core::error::Result;
use crate::core::events::CollectionRequestEvent;
use crate::core::request::RequestInfo;

impl App {
    /// `POST /api/collections`: creates `c` inside the create-request chain.
    /// `None` when a hook answered without calling next.
    pub fn create_collection_request(&self, c: Collection, req: &RequestInfo) -> Result<Option<Collection>> {
        let mut ev = CollectionRequestEvent::new(self, c, req);
        self.hooks().on_collection_create_request.trigger(&mut ev, &mut |e| {
            e.collection = e.app.create_collection(e.collection.clone())?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.collection))
    }

    /// `PATCH /api/collections/{id}`: saves the changed `c` inside the
    /// update-request chain. `None` when a hook answered without calling next.
    pub fn update_collection_request(&self, c: Collection, req: &RequestInfo) -> Result<Option<Collection>> {
        let mut ev = CollectionRequestEvent::new(self, c, req);
        self.hooks().on_collection_update_request.trigger(&mut ev, &mut |e| {
            e.collection = e.app.save_collection(e.collection.clone())?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.collection))
    }

    /// `DELETE /api/collections/{id}`: deletes `c` inside the delete-request
    /// chain. `false` when a hook answered without calling next.
    pub fn delete_collection_request(&self, c: &Arc<Collection>, req: &RequestInfo) -> Result<bool> {
        let mut ev = CollectionRequestEvent::new(self, (**c).clone(), req);
        self.hooks().on_collection_delete_request.trigger(&mut ev, &mut |e| {
            let current = e.app.find_collection(&e.collection.id)?;
            e.app.delete_collection(&current)?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }
}
