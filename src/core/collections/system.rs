//! The collections a fresh PocketBase 0.40 app has: `_superusers`, `users`,
//! `_mfas`, `_otps`, `_externalAuths`, `_authOrigins`, with PocketBase's ids.

use super::collection::{Collection, CollectionType, Rules};
use super::field::{Field, FieldKind};

fn text(name: &str, required: bool, hidden: bool) -> Field {
    let mut f = Field::new(
        name,
        FieldKind::Text {
            min: 0,
            max: 0,
            pattern: String::new(),
            autogenerate_pattern: String::new(),
            primary_key: false,
        },
    );
    f.required = required;
    f.hidden = hidden;
    f.system = true;
    f
}

fn autodates(c: &mut Collection, system: bool) {
    for (name, on_update) in [("created", false), ("updated", true)] {
        let mut f = Field::new(name, FieldKind::Autodate { on_create: true, on_update });
        f.system = system;
        c.fields.push(f);
    }
}

const OWN_ONLY: &str =
    "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";

fn ref_collection(name: &str, id: &str, extra: Vec<Field>, indexes: Vec<String>, delete_own: bool) -> Collection {
    let mut c = Collection::new(name, CollectionType::Base);
    c.id = id.into();
    c.system = true;
    c.fields[0].system = true;
    c.fields.push(text("collectionRef", true, false));
    c.fields.push(text("recordRef", true, false));
    c.fields.extend(extra);
    autodates(&mut c, true);
    c.indexes = indexes;
    c.rules = Rules {
        list: Some(OWN_ONLY.into()),
        view: Some(OWN_ONLY.into()),
        create: None,
        update: None,
        delete: delete_own.then(|| OWN_ONLY.into()),
    };
    c
}

/// All system collections in PocketBase's creation order.
pub fn system_collections() -> Vec<Collection> {
    let mut otp_password =
        Field::new("password", FieldKind::Password { min: 0, max: 0, pattern: String::new(), cost: 8 });
    otp_password.hidden = true;
    otp_password.required = true;
    otp_password.system = true;

    let mfas = ref_collection(
        "_mfas",
        "pbc_2279338944",
        vec![text("method", true, false)],
        vec!["CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (collectionRef,recordRef)".into()],
        false,
    );
    let otps = ref_collection(
        "_otps",
        "pbc_1638494021",
        vec![otp_password, text("sentTo", false, true)],
        vec!["CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (collectionRef, recordRef)".into()],
        false,
    );
    let external = ref_collection(
        "_externalAuths",
        "pbc_2281828961",
        vec![text("provider", true, false), text("providerId", true, false)],
        vec![
            "CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (collectionRef, recordRef, provider)".into(),
            "CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (collectionRef, provider, providerId)".into(),
        ],
        true,
    );
    let origins = ref_collection(
        "_authOrigins",
        "pbc_4275539003",
        vec![text("fingerprint", true, false)],
        vec!["CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (collectionRef, recordRef, fingerprint)".into()],
        true,
    );

    let mut superusers = Collection::new(super::collection::SUPERUSERS, CollectionType::Auth);
    superusers.id = "pbc_3142635823".into();
    superusers.system = true;
    autodates(&mut superusers, true);
    superusers.indexes = superusers.auth_indexes().to_vec();
    if let Some(a) = superusers.auth.as_mut() {
        a.auth_token.duration = 86400;
    }

    let mut users = Collection::new("users", CollectionType::Auth);
    users.id = "_pb_users_auth_".into();
    let mut name = text("name", false, false);
    name.system = false;
    if let FieldKind::Text { max, .. } = &mut name.kind {
        *max = 255;
    }
    users.fields.push(name);
    let mut avatar = Field::new(
        "avatar",
        FieldKind::File {
            max_select: 1,
            max_size: 0,
            mime_types: ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"]
                .map(String::from)
                .to_vec(),
            thumbs: vec![],
            protected: false,
        },
    );
    avatar.system = false;
    users.fields.push(avatar);
    autodates(&mut users, false);
    users.indexes = users.auth_indexes().to_vec();
    let own = Some("id = @request.auth.id".to_string());
    users.rules =
        Rules { list: own.clone(), view: own.clone(), create: Some(String::new()), update: own.clone(), delete: own };
    if let Some(a) = users.auth.as_mut() {
        a.oauth2.mapped_fields.name = "name".into();
        a.oauth2.mapped_fields.avatar_url = "avatar".into();
    }

    vec![mfas, otps, external, origins, superusers, users]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_collections_have_pocketbase_ids_and_fields() {
        let all = system_collections();
        let su = all.iter().find(|c| c.name == "_superusers").expect("superusers");
        assert_eq!(su.id, Collection::default_id(CollectionType::Auth, "_superusers"));
        let names: Vec<_> = su.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "password", "tokenKey", "email", "emailVisibility", "verified", "created", "updated"]);
        let users = all.iter().find(|c| c.name == "users").expect("users");
        assert_eq!(users.fields[7].name, "avatar");
        assert_eq!(users.fields[1].id, "password901924565");
        assert_eq!(users.fields[2].id, "text2504183744");
    }
}
