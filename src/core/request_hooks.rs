//! The request hooks of the settings API and the collections
//! list and view (create/update/delete: `collections/requests.rs`): each API
//! action runs as the innermost step of its chain, so a handler that does
//! not call `next()` stops it (the API then answers 200 with an empty body,
//! like PocketBase). `None` means "a hook stopped the action".

use serde_json::Value;

use super::app::App;
use super::collections::Collection;
use super::error::Result;
use super::events::{
    CollectionRequestEvent, CollectionsImportRequestEvent, CollectionsListRequestEvent, SettingsRequestEvent,
};
use super::request::RequestInfo;
use super::settings::Settings;

impl App {
    /// `GET /api/settings` through `onSettingsListRequest`.
    pub fn settings_list_request(&self, req: &RequestInfo) -> Result<Option<Settings>> {
        let mut ev = SettingsRequestEvent {
            app: self.clone(),
            request: req.clone(),
            settings: (*self.settings()).clone(),
            new_settings: None,
            handled: false,
        };
        self.hooks().on_settings_list_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.settings))
    }

    /// `PATCH /api/settings` through `onSettingsUpdateRequest`: saves the
    /// (possibly changed) new settings.
    pub fn settings_update_request(&self, req: &RequestInfo, new: Settings) -> Result<Option<Settings>> {
        let mut ev = SettingsRequestEvent {
            app: self.clone(),
            request: req.clone(),
            settings: (*self.settings()).clone(),
            new_settings: Some(new),
            handled: false,
        };
        self.hooks().on_settings_update_request.trigger(&mut ev, &mut |e| {
            let next = e.new_settings.clone().unwrap_or_else(|| e.settings.clone());
            e.app.save_settings(next)?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then(|| (*self.settings()).clone()))
    }

    /// `GET /api/collections` through `onCollectionsListRequest` (the
    /// handlers see the page's collections; changes to them are not kept).
    pub fn collections_list_request(
        &self,
        req: &RequestInfo,
        page: Vec<Collection>,
    ) -> Result<Option<Vec<Collection>>> {
        let mut ev =
            CollectionsListRequestEvent { app: self.clone(), request: req.clone(), collections: page, handled: false };
        self.hooks().on_collections_list_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.collections))
    }

    /// `PUT /api/collections/import` through `onCollectionsImportRequest`;
    /// false when a hook did not call `next()`.
    pub fn collections_import_request(
        &self,
        req: &RequestInfo,
        list: Vec<Value>,
        delete_missing: bool,
    ) -> Result<bool> {
        let mut ev = CollectionsImportRequestEvent {
            app: self.clone(),
            request: req.clone(),
            collections_data: list,
            delete_missing,
            handled: false,
        };
        self.hooks().on_collections_import_request.trigger(&mut ev, &mut |e| {
            e.app.import_collections(&e.collections_data, e.delete_missing)?;
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled)
    }

    /// `GET /api/collections/{c}` through `onCollectionViewRequest`.
    pub fn collection_view_request(&self, req: &RequestInfo, c: Collection) -> Result<Option<Collection>> {
        let mut ev = CollectionRequestEvent::new(self, c, req);
        self.hooks().on_collection_view_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.collection))
    }
}
