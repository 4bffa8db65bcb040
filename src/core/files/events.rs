//! The file request events: `onFileDownloadRequest` (before a file or
//! thumb is served; handlers may change what is served) and
//! `onFileTokenRequest` (before a file token is answered).

use std::sync::Arc;

use crate::core::app::App;
use crate::core::collections::{Collection, Field};
use crate::core::hooks::Tagged;
use crate::core::records::Record;
use crate::core::request::RequestInfo;

/// `onFileDownloadRequest`.
pub struct FileDownloadRequestEvent {
    pub app: App,
    pub request: RequestInfo,
    pub collection: Arc<Collection>,
    pub record: Record,
    pub file_field: Field,
    /// Storage key of what will be served.
    pub served_path: String,
    /// File name in `Content-Disposition`.
    pub served_name: String,
    pub thumb_error: Option<String>,
    /// Set by the innermost step; false when a hook did not call next.
    pub handled: bool,
}

impl FileDownloadRequestEvent {
    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        FileDownloadRequestEvent {
            app: self.app.clone(),
            request: RequestInfo::default(),
            collection: self.collection.clone(),
            record: Record::placeholder(self.collection.clone()),
            file_field: self.file_field.clone(),
            served_path: String::new(),
            served_name: String::new(),
            thumb_error: None,
            handled: false,
        }
    }
}

impl Tagged for FileDownloadRequestEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

/// `onFileTokenRequest`.
pub struct FileTokenRequestEvent {
    pub app: App,
    pub request: RequestInfo,
    /// The auth record the token is for.
    pub record: Record,
    pub token: String,
    pub handled: bool,
}

impl FileTokenRequestEvent {
    /// A cheap stand-in left behind while the event is lent elsewhere.
    pub fn placeholder(&self) -> Self {
        FileTokenRequestEvent {
            app: self.app.clone(),
            request: RequestInfo::default(),
            record: Record::placeholder(self.record.collection.clone()),
            token: String::new(),
            handled: false,
        }
    }
}

impl Tagged for FileTokenRequestEvent {
    fn matches_tags(&self, tags: &[String]) -> bool {
        let c = &self.record.collection;
        tags.iter().any(|t| *t == c.id || *t == c.name)
    }
}

impl App {
    /// Runs `onFileDownloadRequest` around the download; `None` when a
    /// hook answered without calling next.
    pub fn file_download_request(
        &self,
        d: super::download::Download,
        req: &RequestInfo,
    ) -> crate::core::Result<Option<super::download::Download>> {
        let hooks = self.hooks();
        if hooks.on_file_download_request.is_empty() {
            return Ok(Some(d));
        }
        let mut ev = FileDownloadRequestEvent {
            app: self.clone(),
            request: req.clone(),
            collection: d.collection.clone(),
            record: d.record.clone(),
            file_field: d.field.clone(),
            served_path: d.served_path.clone(),
            served_name: d.served_name.clone(),
            thumb_error: d.thumb_error.clone(),
            handled: false,
        };
        hooks.on_file_download_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            Ok(())
        })?;
        if !ev.handled {
            return Ok(None);
        }
        Ok(Some(super::download::Download {
            record: ev.record,
            served_path: ev.served_path,
            served_name: ev.served_name,
            thumb_error: ev.thumb_error,
            ..d
        }))
    }

    /// Runs `onFileTokenRequest` around a new file token; `None` when a
    /// hook answered without calling next.
    pub fn file_token_request(&self, auth: &Record, req: &RequestInfo) -> crate::core::Result<Option<String>> {
        let token =
            self.new_record_token(auth, crate::core::auth::tokens::TokenType::File, None, serde_json::Map::new())?;
        let hooks = self.hooks();
        if hooks.on_file_token_request.is_empty() {
            return Ok(Some(token));
        }
        let mut ev = FileTokenRequestEvent {
            app: self.clone(),
            request: req.clone(),
            record: auth.clone(),
            token,
            handled: false,
        };
        hooks.on_file_token_request.trigger(&mut ev, &mut |e| {
            e.handled = true;
            Ok(())
        })?;
        Ok(ev.handled.then_some(ev.token))
    }
}
