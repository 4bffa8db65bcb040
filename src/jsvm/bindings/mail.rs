//! The natives behind `$app.newMailClient().send(message)` and `$mails.*`
//! (`js_api/os.js`): messages cross as plain JSON, records as the
//! `Record` objects the script holds.

use rquickjs::prelude::{Func, Opt};
use rquickjs::{Class, Ctx, Object, Value};

use super::app::JsApp;
use super::record::JsRecord;
use super::{convert, state};
use crate::core::Error;
use crate::core::mail::Message;
use crate::jsvm::error::throw_core;

/// Adds `mailSend` and `mailsSend` to `native`.
pub fn install(native: &Object<'_>) -> rquickjs::Result<()> {
    native.set("mailSend", Func::from(mail_send))?;
    native.set("mailsSend", Func::from(mails_send))?;
    Ok(())
}

/// Sends a `MailerMessage` through the app's client (and `onMailerSend`).
fn mail_send<'js>(ctx: Ctx<'js>, app: Class<'js, JsApp>, message: Value<'js>) -> rquickjs::Result<()> {
    let app = app.borrow().app.clone();
    let message = Message::from_json(&convert::to_json(message)?);
    let budget = state(&ctx)?.budget.clone();
    budget.paused(|| app.new_mail_client().send(message)).map_err(|e| throw_core(&ctx, e))
}

/// `$mails.sendRecord*(app, record, …)`: `kind` names the mail.
fn mails_send<'js>(
    ctx: Ctx<'js>,
    app: Class<'js, JsApp>,
    kind: String,
    record: Value<'js>,
    a: Opt<String>,
    b: Opt<String>,
) -> rquickjs::Result<()> {
    let app = app.borrow().app.clone();
    let Some(cell) = JsRecord::shared_of(&record) else {
        return Err(throw_core(&ctx, Error::BadRequest("$mails: the second argument must be a record.".into())));
    };
    let record = cell.borrow().clone();
    let (a, b) = (a.0.unwrap_or_default(), b.0.unwrap_or_default());
    let budget = state(&ctx)?.budget.clone();
    budget
        .paused(|| match kind.as_str() {
            "passwordReset" => app.send_record_password_reset(&record),
            "verification" => app.send_record_verification(&record),
            "changeEmail" => app.send_record_change_email(&record, &a),
            "otp" => app.send_record_otp(&record, &a, &b),
            "authAlert" => app.send_record_auth_alert(&record, &a),
            other => Err(Error::BadRequest(format!("$mails: unknown mail {other:?}."))),
        })
        .map_err(|e| throw_core(&ctx, e))
}
