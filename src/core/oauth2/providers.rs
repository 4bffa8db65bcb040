//! PocketBase 0.40.6's OAuth2 providers as data: endpoints, scopes, how the
//! profile is fetched and where each user field sits in it (dotted JSON
//! paths), and when the email counts as verified. One generic flow
//! (`flow.rs`) runs them all; logos come from `logos.json`, recorded from
//! PocketBase's `GET /api/collections/meta/oauth2-providers`.

use std::collections::HashMap;
use std::sync::LazyLock;

/// How the profile is obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UserInfo {
    /// `GET userInfoURL` with the bearer token.
    Get,
    /// `POST userInfoURL` with a GraphQL query (JSON body).
    GraphQl(&'static str),
    /// The claims of the token response's `id_token`, verified against the
    /// JWKS (`jwks`, or `extra.jwksURL`), with an issuer check. OIDC uses
    /// the userinfo endpoint instead when one is configured.
    IdToken { jwks: &'static str, issuer: &'static str },
}

/// The user's display name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NameSpec {
    Path(&'static str),
    /// The first non-empty path (Discord: global name, else username).
    FirstOf(&'static [&'static str]),
    /// Paths joined with a space (first + last name), trimmed.
    Join(&'static [&'static str]),
}

/// The avatar URL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AvatarSpec {
    None,
    Path(&'static str),
    /// `{path}` placeholders filled from the profile; empty when the
    /// `when` path is empty/false.
    Template {
        url: &'static str,
        when: &'static str,
    },
    /// `path` only when `flag` is truthy (`flag` prefixed with `!`: falsy).
    If {
        path: &'static str,
        flag: &'static str,
    },
}

/// Where a verified email comes from; an unverified one is dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EmailSpec {
    /// No email.
    None,
    /// Trusted as given by the provider.
    Trusted(&'static str),
    /// Only when every flag path is truthy.
    VerifiedBy { path: &'static str, flags: &'static [&'static str] },
    /// Only when the date path holds a date (GitLab's `confirmed_at`).
    ConfirmedAt { path: &'static str, at: &'static str },
    /// The primary verified address from `<userInfoURL or url>/emails`.
    EmailsList { url: &'static str, list: &'static str, email: &'static str, flags: &'static [&'static str] },
    /// The profile's email when it looks valid, else the emails list (Gitee).
    ProfileOrList { path: &'static str, url: &'static str },
    /// A field of the token response (VK).
    TokenExtra(&'static str),
}

/// One provider.
#[derive(Debug, Clone, Copy)]
pub struct ProviderDef {
    pub name: &'static str,
    pub display_name: &'static str,
    pub order: i32,
    pub pkce: bool,
    pub scopes: &'static [&'static str],
    pub auth_url: &'static str,
    pub token_url: &'static str,
    pub user_info_url: &'static str,
    pub user_info: UserInfo,
    /// Extra request headers of the profile request; `{clientId}` is replaced.
    pub headers: &'static [(&'static str, &'static str)],
    pub id: &'static str,
    pub name_of: NameSpec,
    pub username: &'static str,
    pub avatar: AvatarSpec,
    pub email: EmailSpec,
    /// `(path, expected)`: the account must be active (`expected` "true" for
    /// a truthy value, or an exact string).
    pub active: Option<(&'static str, &'static str)>,
    /// Extra authorization URL parameters.
    pub auth_params: &'static [(&'static str, &'static str)],
}

const BASE: ProviderDef = ProviderDef {
    name: "",
    display_name: "",
    order: 0,
    pkce: true,
    scopes: &[],
    auth_url: "",
    token_url: "",
    user_info_url: "",
    user_info: UserInfo::Get,
    headers: &[],
    id: "id",
    name_of: NameSpec::Path("name"),
    username: "",
    avatar: AvatarSpec::None,
    email: EmailSpec::None,
    active: None,
    auth_params: &[],
};

const OIDC: ProviderDef = ProviderDef {
    name: "oidc",
    display_name: "OIDC",
    order: 99,
    scopes: &["openid", "email", "profile"],
    user_info: UserInfo::IdToken { jwks: "", issuer: "" },
    id: "sub",
    username: "preferred_username",
    avatar: AvatarSpec::Path("picture"),
    email: EmailSpec::VerifiedBy { path: "email", flags: &["email_verified"] },
    ..BASE
};

/// Every named provider, in PocketBase's order.
pub static PROVIDERS: &[ProviderDef] = &[
    ProviderDef {
        name: "apple",
        display_name: "Apple",
        order: 1,
        scopes: &["name", "email"],
        auth_url: "https://appleid.apple.com/auth/authorize",
        token_url: "https://appleid.apple.com/auth/token",
        user_info: UserInfo::IdToken {
            jwks: "https://appleid.apple.com/auth/keys",
            issuer: "https://appleid.apple.com",
        },
        id: "sub",
        email: EmailSpec::VerifiedBy { path: "email", flags: &["email_verified"] },
        auth_params: &[("response_mode", "form_post")],
        ..BASE
    },
    ProviderDef {
        name: "google",
        display_name: "Google",
        order: 2,
        scopes: &["https://www.googleapis.com/auth/userinfo.profile", "https://www.googleapis.com/auth/userinfo.email"],
        auth_url: "https://accounts.google.com/o/oauth2/v2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        user_info_url: "https://www.googleapis.com/oauth2/v3/userinfo",
        id: "sub",
        avatar: AvatarSpec::Path("picture"),
        email: EmailSpec::VerifiedBy { path: "email", flags: &["email_verified"] },
        ..BASE
    },
    ProviderDef {
        name: "microsoft",
        display_name: "Microsoft",
        order: 3,
        scopes: &["User.Read"],
        auth_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        user_info_url: "https://graph.microsoft.com/v1.0/me",
        name_of: NameSpec::Path("displayName"),
        email: EmailSpec::Trusted("mail"),
        ..BASE
    },
    ProviderDef {
        name: "yandex",
        display_name: "Yandex",
        order: 4,
        scopes: &["login:email", "login:avatar", "login:info"],
        auth_url: "https://oauth.yandex.com/authorize",
        token_url: "https://oauth.yandex.com/token",
        user_info_url: "https://login.yandex.ru/info",
        name_of: NameSpec::Path("real_name"),
        username: "login",
        avatar: AvatarSpec::Template {
            url: "https://avatars.yandex.net/get-yapic/{default_avatar_id}/islands-200",
            when: "!is_avatar_empty",
        },
        email: EmailSpec::Trusted("default_email"),
        ..BASE
    },
    ProviderDef {
        name: "facebook",
        display_name: "Facebook",
        order: 5,
        scopes: &["email"],
        auth_url: "https://www.facebook.com/v22.0/dialog/oauth",
        token_url: "https://graph.facebook.com/v22.0/oauth/access_token",
        user_info_url: "https://graph.facebook.com/me?fields=name,email,picture.type(large)",
        avatar: AvatarSpec::Path("picture.data.url"),
        email: EmailSpec::Trusted("email"),
        ..BASE
    },
    ProviderDef {
        name: "instagram2",
        display_name: "Instagram",
        order: 6,
        scopes: &["instagram_business_basic"],
        auth_url: "https://www.instagram.com/oauth/authorize",
        token_url: "https://api.instagram.com/oauth/access_token",
        user_info_url: "https://graph.instagram.com/me?fields=id,username,account_type,user_id,name,profile_picture_url,followers_count,follows_count,media_count",
        id: "user_id",
        username: "username",
        avatar: AvatarSpec::Path("profile_picture_url"),
        ..BASE
    },
    ProviderDef {
        name: "github",
        display_name: "GitHub",
        order: 7,
        scopes: &["read:user", "user:email"],
        auth_url: "https://github.com/login/oauth/authorize",
        token_url: "https://github.com/login/oauth/access_token",
        user_info_url: "https://api.github.com/user",
        username: "login",
        avatar: AvatarSpec::Path("avatar_url"),
        email: EmailSpec::EmailsList { url: "", list: "", email: "email", flags: &["verified", "primary"] },
        ..BASE
    },
    ProviderDef {
        name: "gitlab",
        display_name: "GitLab",
        order: 8,
        scopes: &["read_user"],
        auth_url: "https://gitlab.com/oauth/authorize",
        token_url: "https://gitlab.com/oauth/token",
        user_info_url: "https://gitlab.com/api/v4/user",
        username: "username",
        avatar: AvatarSpec::Path("avatar_url"),
        email: EmailSpec::ConfirmedAt { path: "email", at: "confirmed_at" },
        ..BASE
    },
    ProviderDef {
        name: "bitbucket",
        display_name: "Bitbucket",
        order: 9,
        pkce: false,
        scopes: &["account"],
        auth_url: "https://bitbucket.org/site/oauth2/authorize",
        token_url: "https://bitbucket.org/site/oauth2/access_token",
        user_info_url: "https://api.bitbucket.org/2.0/user",
        id: "uuid",
        name_of: NameSpec::Path("display_name"),
        username: "username",
        avatar: AvatarSpec::Path("links.avatar.href"),
        email: EmailSpec::EmailsList {
            url: "",
            list: "values",
            email: "email",
            flags: &["is_primary", "is_confirmed"],
        },
        active: Some(("account_status", "active")),
        ..BASE
    },
    ProviderDef {
        name: "gitee",
        display_name: "Gitee",
        order: 10,
        scopes: &["user_info", "emails"],
        auth_url: "https://gitee.com/oauth/authorize",
        token_url: "https://gitee.com/oauth/token",
        user_info_url: "https://gitee.com/api/v5/user",
        username: "login",
        avatar: AvatarSpec::Path("avatar_url"),
        email: EmailSpec::ProfileOrList { path: "email", url: "https://gitee.com/api/v5/emails" },
        ..BASE
    },
    ProviderDef {
        name: "gitea",
        display_name: "Gitea/Forgejo",
        order: 11,
        scopes: &["read:user", "user:email"],
        auth_url: "https://gitea.com/login/oauth/authorize",
        token_url: "https://gitea.com/login/oauth/access_token",
        user_info_url: "https://gitea.com/api/v1/user",
        name_of: NameSpec::Path("full_name"),
        username: "login",
        avatar: AvatarSpec::Path("avatar_url"),
        email: EmailSpec::EmailsList { url: "", list: "", email: "email", flags: &["verified", "primary"] },
        active: Some(("active", "true")),
        ..BASE
    },
    ProviderDef {
        name: "discord",
        display_name: "Discord",
        order: 12,
        scopes: &["identify", "email"],
        auth_url: "https://discord.com/api/oauth2/authorize",
        token_url: "https://discord.com/api/oauth2/token",
        user_info_url: "https://discord.com/api/users/@me",
        name_of: NameSpec::FirstOf(&["global_name", "username"]),
        username: "username",
        avatar: AvatarSpec::Template { url: "https://cdn.discordapp.com/avatars/{id}/{avatar}.png", when: "avatar" },
        email: EmailSpec::VerifiedBy { path: "email", flags: &["verified"] },
        ..BASE
    },
    ProviderDef {
        name: "twitter",
        display_name: "X/Twitter",
        order: 13,
        scopes: &["users.read", "users.email", "tweet.read"],
        auth_url: "https://x.com/i/oauth2/authorize",
        token_url: "https://api.x.com/2/oauth2/token",
        user_info_url: "https://api.x.com/2/users/me?user.fields=id,name,username,profile_image_url,confirmed_email",
        id: "data.id",
        name_of: NameSpec::Path("data.name"),
        username: "data.username",
        avatar: AvatarSpec::Path("data.profile_image_url"),
        email: EmailSpec::Trusted("data.confirmed_email"),
        ..BASE
    },
    ProviderDef {
        name: "kakao",
        display_name: "Kakao",
        order: 14,
        scopes: &["account_email", "profile_nickname", "profile_image"],
        auth_url: "https://kauth.kakao.com/oauth/authorize",
        token_url: "https://kauth.kakao.com/oauth/token",
        user_info_url: "https://kapi.kakao.com/v2/user/me",
        name_of: NameSpec::Path(""),
        username: "properties.nickname",
        avatar: AvatarSpec::Path("properties.profile_image"),
        email: EmailSpec::VerifiedBy {
            path: "kakao_account.email",
            flags: &["kakao_account.is_email_valid", "kakao_account.is_email_verified"],
        },
        ..BASE
    },
    ProviderDef {
        name: "vk",
        display_name: "ВКонтакте",
        order: 15,
        pkce: false,
        scopes: &["email"],
        auth_url: "https://oauth.vk.com/authorize",
        token_url: "https://oauth.vk.com/access_token",
        user_info_url: "https://api.vk.com/method/users.get?fields=photo_max,screen_name&v=5.131",
        id: "response.0.id",
        name_of: NameSpec::Join(&["response.0.first_name", "response.0.last_name"]),
        username: "response.0.screen_name",
        avatar: AvatarSpec::Path("response.0.photo_max"),
        email: EmailSpec::TokenExtra("email"),
        ..BASE
    },
    ProviderDef {
        name: "linear",
        display_name: "Linear",
        order: 16,
        pkce: false,
        scopes: &["read"],
        auth_url: "https://linear.app/oauth/authorize",
        token_url: "https://api.linear.app/oauth/token",
        user_info_url: "https://api.linear.app/graphql",
        user_info: UserInfo::GraphQl("query Me { viewer { id displayName name email avatarUrl active } }"),
        id: "data.viewer.id",
        name_of: NameSpec::Path("data.viewer.name"),
        username: "data.viewer.displayName",
        avatar: AvatarSpec::Path("data.viewer.avatarUrl"),
        email: EmailSpec::Trusted("data.viewer.email"),
        active: Some(("data.viewer.active", "true")),
        ..BASE
    },
    ProviderDef {
        name: "notion",
        display_name: "Notion",
        order: 17,
        auth_url: "https://api.notion.com/v1/oauth/authorize",
        token_url: "https://api.notion.com/v1/oauth/token",
        user_info_url: "https://api.notion.com/v1/users/me",
        headers: &[("Notion-Version", "2022-06-28")],
        id: "bot.owner.user.id",
        name_of: NameSpec::Path("bot.owner.user.name"),
        avatar: AvatarSpec::Path("bot.owner.user.avatar_url"),
        email: EmailSpec::Trusted("bot.owner.user.person.email"),
        ..BASE
    },
    ProviderDef {
        name: "monday",
        display_name: "monday.com",
        order: 18,
        scopes: &["me:read"],
        auth_url: "https://auth.monday.com/oauth2/authorize",
        token_url: "https://auth.monday.com/oauth2/token",
        user_info_url: "https://api.monday.com/v2",
        user_info: UserInfo::GraphQl("query { me { id enabled name email is_verified photo_small }}"),
        id: "data.me.id",
        name_of: NameSpec::Path("data.me.name"),
        avatar: AvatarSpec::Path("data.me.photo_small"),
        email: EmailSpec::VerifiedBy { path: "data.me.email", flags: &["data.me.is_verified"] },
        active: Some(("data.me.enabled", "true")),
        ..BASE
    },
    ProviderDef {
        name: "lark",
        display_name: "Lark",
        order: 19,
        auth_url: "https://accounts.feishu.cn/open-apis/authen/v1/authorize",
        token_url: "https://open.feishu.cn/open-apis/authen/v2/oauth/token",
        user_info_url: "https://open.feishu.cn/open-apis/authen/v1/user_info",
        id: "data.union_id",
        name_of: NameSpec::Path("data.name"),
        avatar: AvatarSpec::Path("data.avatar_url"),
        ..BASE
    },
    ProviderDef {
        name: "box",
        display_name: "Box",
        order: 20,
        scopes: &["root_readonly"],
        auth_url: "https://account.box.com/api/oauth2/authorize",
        token_url: "https://api.box.com/oauth2/token",
        user_info_url: "https://api.box.com/2.0/users/me",
        avatar: AvatarSpec::Path("avatar_url"),
        // Box only authorizes accounts with a verified email
        email: EmailSpec::Trusted("login"),
        active: Some(("status", "active")),
        ..BASE
    },
    ProviderDef {
        name: "spotify",
        display_name: "Spotify",
        order: 21,
        scopes: &["user-read-private"],
        auth_url: "https://accounts.spotify.com/authorize",
        token_url: "https://accounts.spotify.com/api/token",
        user_info_url: "https://api.spotify.com/v1/me",
        name_of: NameSpec::Path("display_name"),
        avatar: AvatarSpec::Path("images.0.url"),
        ..BASE
    },
    ProviderDef {
        name: "trakt",
        display_name: "Trakt",
        order: 22,
        auth_url: "https://trakt.tv/oauth/authorize",
        token_url: "https://api.trakt.tv/oauth/token",
        user_info_url: "https://api.trakt.tv/users/settings",
        headers: &[("Content-Type", "application/json"), ("trakt-api-key", "{clientId}"), ("trakt-api-version", "2")],
        id: "user.ids.uuid",
        name_of: NameSpec::Path("user.name"),
        username: "user.username",
        avatar: AvatarSpec::Path("user.images.avatar.full"),
        ..BASE
    },
    ProviderDef {
        name: "twitch",
        display_name: "Twitch",
        order: 23,
        scopes: &["user:read:email"],
        auth_url: "https://id.twitch.tv/oauth2/authorize",
        token_url: "https://id.twitch.tv/oauth2/token",
        user_info_url: "https://api.twitch.tv/helix/users",
        headers: &[("Client-Id", "{clientId}")],
        id: "data.0.id",
        name_of: NameSpec::Path("data.0.display_name"),
        username: "data.0.login",
        avatar: AvatarSpec::Path("data.0.profile_image_url"),
        email: EmailSpec::Trusted("data.0.email"),
        ..BASE
    },
    ProviderDef {
        name: "patreon",
        display_name: "Patreon",
        order: 24,
        scopes: &["identity", "identity[email]"],
        auth_url: "https://www.patreon.com/oauth2/authorize",
        token_url: "https://api.patreon.com/oauth2/token",
        user_info_url: "https://www.patreon.com/api/oauth2/v2/identity?fields%5Buser%5D=full_name,email,vanity,image_url,is_email_verified",
        id: "data.id",
        name_of: NameSpec::Path("data.attributes.full_name"),
        username: "data.attributes.vanity",
        avatar: AvatarSpec::Path("data.attributes.image_url"),
        email: EmailSpec::VerifiedBy { path: "data.attributes.email", flags: &["data.attributes.is_email_verified"] },
        ..BASE
    },
    ProviderDef {
        name: "strava",
        display_name: "Strava",
        order: 25,
        scopes: &["profile:read_all"],
        auth_url: "https://www.strava.com/oauth/authorize",
        token_url: "https://www.strava.com/api/v3/oauth/token",
        user_info_url: "https://www.strava.com/api/v3/athlete",
        name_of: NameSpec::Join(&["firstname", "lastname"]),
        username: "username",
        avatar: AvatarSpec::Path("profile"),
        ..BASE
    },
    ProviderDef {
        name: "wakatime",
        display_name: "WakaTime",
        order: 26,
        scopes: &["email"],
        auth_url: "https://wakatime.com/oauth/authorize",
        token_url: "https://wakatime.com/oauth/token",
        user_info_url: "https://wakatime.com/api/v1/users/current",
        id: "data.id",
        name_of: NameSpec::Path("data.display_name"),
        username: "data.username",
        avatar: AvatarSpec::If { path: "data.photo", flag: "data.photo_public" },
        email: EmailSpec::VerifiedBy { path: "data.email", flags: &["data.is_email_confirmed"] },
        ..BASE
    },
    ProviderDef {
        name: "livechat",
        display_name: "LiveChat",
        order: 27,
        auth_url: "https://accounts.livechat.com/",
        token_url: "https://accounts.livechat.com/token",
        user_info_url: "https://accounts.livechat.com/v2/accounts/me",
        id: "account_id",
        avatar: AvatarSpec::Path("avatar_url"),
        email: EmailSpec::VerifiedBy { path: "email", flags: &["email_verified"] },
        ..BASE
    },
    ProviderDef {
        name: "mailcow",
        display_name: "mailcow",
        order: 28,
        scopes: &["profile"],
        name_of: NameSpec::Path("full_name"),
        username: "username",
        email: EmailSpec::Trusted("email"),
        active: Some(("active", "1")),
        ..BASE
    },
    ProviderDef {
        name: "planningcenter",
        display_name: "Planning Center",
        order: 29,
        scopes: &["people"],
        auth_url: "https://api.planningcenteronline.com/oauth/authorize",
        token_url: "https://api.planningcenteronline.com/oauth/token",
        user_info_url: "https://api.planningcenteronline.com/people/v2/me",
        id: "data.id",
        name_of: NameSpec::Path("data.attributes.name"),
        avatar: AvatarSpec::Path("data.attributes.avatar"),
        active: Some(("data.attributes.status", "active")),
        ..BASE
    },
    OIDC,
    ProviderDef { name: "oidc2", ..OIDC },
    ProviderDef { name: "oidc3", ..OIDC },
];

static LOGOS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let list: Vec<serde_json::Value> = serde_json::from_str(include_str!("logos.json")).unwrap_or_default();
    list.into_iter()
        .filter_map(|v| {
            let name = v.get("name")?.as_str()?.to_string();
            let logo = v.get("logo")?.as_str()?.to_string();
            Some((name, logo))
        })
        .collect()
});

/// A provider definition by name.
pub fn find(name: &str) -> Option<&'static ProviderDef> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// The SVG logo of a provider.
pub fn logo(name: &str) -> &'static str {
    LOGOS.get(name).map(String::as_str).unwrap_or_default()
}

/// `GET /api/collections/meta/oauth2-providers`: every provider by order, then name.
pub fn listing() -> serde_json::Value {
    let mut list: Vec<&ProviderDef> = PROVIDERS.iter().collect();
    list.sort_by(|a, b| a.order.cmp(&b.order).then(a.name.cmp(b.name)));
    serde_json::Value::Array(
        list.into_iter()
            .map(|p| serde_json::json!({"name": p.name, "displayName": p.display_name, "logo": logo(p.name)}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pocketbase_provider_is_defined_with_a_logo() {
        assert_eq!(PROVIDERS.len(), 32);
        for p in PROVIDERS {
            assert!(!logo(p.name).is_empty(), "logo of {}", p.name);
            assert!(logo(p.name).starts_with("<svg"), "logo of {}", p.name);
        }
        let names: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
        assert!(names.contains(&"oidc3") && names.contains(&"instagram2") && names.contains(&"apple"));
    }
}
