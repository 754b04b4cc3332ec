//! People on SQLite and PostgreSQL: an owner invites a colleague with a one-time link, the
//! colleague sets a password and is signed in; links work once and run out; roles change,
//! people are disabled (their sessions and keys stop at once) and signed out everywhere; the
//! last owner stays; only owners manage people; every change is in the audit log, which
//! filters and pages.

use callflow_tests::app::{Person, TestApp};
use callflow_tests::on_both_databases;
use reqwest::Method;
use serde_json::{json, Value};
use server::store::{now_ms, InviteKind, NewInvite, Role};

const PASSWORD: &str = "a long enough password";

/// The status of a sign-in answer (a link's, a password's), the person it signed in (when it
/// set a cookie), and its body.
async fn signed_in(response: reqwest::Response) -> (u16, Option<Person>, Value) {
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::to_owned);
    let body: Value = response.json().await.expect("json");
    let person = cookie.map(|cookie| Person {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap_or_default().to_owned(),
    });
    (status, person, body)
}

/// Accepts a link's token.
async fn accept(
    app: &TestApp,
    token: &str,
    password: &str,
    language: &str,
) -> (u16, Option<Person>, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/invites/accept"))
        .header("accept-language", language)
        .json(&json!({ "token": token, "password": password }))
        .send()
        .await
        .expect("accept");
    signed_in(response).await
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (u16, Option<Person>) {
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login");
    let (status, person, _) = signed_in(response).await;
    (status, person)
}

async fn me_status(app: &TestApp, who: &Person) -> u16 {
    app.as_person(who, Method::GET, "/auth/me", None).await.0
}

/// The user id of a person in the tenant's list, by email.
fn user_id(people: &Value, email: &str) -> String {
    people["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|user| user["email"] == email)
        .unwrap_or_else(|| panic!("{email} is not listed: {people}"))["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn audit(app: &TestApp, owner: &Person, query: &str) -> Vec<Value> {
    let (status, page) = app
        .as_person(owner, Method::GET, &format!("/audit-log{query}"), None)
        .await;
    assert_eq!(status, 200, "{page}");
    page["entries"].as_array().expect("entries").clone()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|entry| entry["action"].as_str().expect("action"))
        .collect()
}

async fn an_invited_colleague_joins_and_signs_in(app: TestApp) -> TestApp {
    let tenant = app.tenant("People Shop").await;
    let owner = app
        .person(&tenant.id, "owner@people.example", "王店长", Role::Owner)
        .await;

    let (status, created) = app
        .as_person(
            &owner,
            Method::POST,
            "/users/invites",
            Some(&json!({ "email": "Li@People.example", "display_name": "李客服", "role": "editor" })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().expect("token").to_owned();
    assert_eq!(created["path"], format!("/#/invite/{token}"));
    assert_eq!(created["invite"]["email"], "li@people.example");
    // The token is kept only as its hash.
    let stored = app
        .store
        .find_invite(&token)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.role, Role::Editor);
    let (_, people) = app.as_person(&owner, Method::GET, "/users", None).await;
    assert_eq!(
        people["invites"][0]["email"], "li@people.example",
        "{people}"
    );
    assert!(!people.to_string().contains(&token));

    // The link's page learns what it is for without signing in.
    let looked_up: Value = app
        .client
        .post(app.url("/api/v1/invites/look-up"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("look up")
        .json()
        .await
        .expect("json");
    assert_eq!(looked_up["kind"], "invite");
    assert_eq!(looked_up["tenant_names"]["zh-CN"], "People Shop");

    // Too short a password is refused, in the asker's language, and leaves the link usable.
    let (status, _, body) = accept(&app, &token, "short", "zh-CN").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "/password");
    assert_eq!(body["detail"], "密码至少需要 12 个字符。");

    let (status, colleague, body) = accept(&app, &token, PASSWORD, "zh-CN").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["role"], "editor");
    assert_eq!(body["user"]["display_name"], "李客服");
    let colleague = colleague.expect("signed in by the link");
    let (status, me) = app
        .as_person(&colleague, Method::GET, "/auth/me", None)
        .await;
    assert_eq!((status, me["role"].as_str()), (200, Some("editor")), "{me}");

    // Used once, never again.
    let (status, _, body) = accept(&app, &token, PASSWORD, "en").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("invite_used")),
        "{body}"
    );
    assert_eq!(
        body["detail"],
        "This link has been used already; each link works once."
    );

    // The new password signs in, and the sign-in is remembered.
    let (status, _) = sign_in(&app, "li@people.example", PASSWORD).await;
    assert_eq!(status, 200);
    let (_, people) = app.as_person(&owner, Method::GET, "/users", None).await;
    let li = people["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|user| user["email"] == "li@people.example")
        .expect("listed")
        .clone();
    assert!(li["last_sign_in_at"].as_i64().is_some(), "{li}");
    assert_eq!(li["status"], "active");
    assert!(people["invites"].as_array().expect("invites").is_empty());

    // The audit log names who invited and who joined.
    let entries = audit(&app, &owner, "?action=invite.").await;
    assert_eq!(actions(&entries), ["invite.accept", "invite.create"]);
    assert_eq!(entries[0]["actor_name"], "李客服");
    assert_eq!(entries[1]["actor_name"], "王店长");
    app
}

async fn links_run_out_and_can_be_withdrawn(app: TestApp) -> TestApp {
    let tenant = app.tenant("Expiry Shop").await;
    let owner = app
        .person(&tenant.id, "owner@expiry.example", "店长", Role::Owner)
        .await;
    // A link made a week ago has run out.
    let mut transaction = app.store.transaction().await.expect("transaction");
    let old = transaction
        .create_invite(
            &tenant.id,
            &NewInvite {
                kind: InviteKind::Invite,
                email: "late@expiry.example",
                display_name: "迟到的人",
                role: Role::Viewer,
                user_id: None,
                created_by: "system",
            },
            now_ms() - 8 * 24 * 60 * 60 * 1000,
            7 * 24 * 60 * 60 * 1000,
        )
        .await
        .expect("invite");
    transaction.commit().await.expect("commit");
    let (status, person, body) = accept(&app, &old.token, PASSWORD, "zh-CN").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("invite_expired")),
        "{body}"
    );
    assert!(person.is_none());
    let (status, _) = sign_in(&app, "late@expiry.example", PASSWORD).await;
    assert_eq!(status, 401);

    let (status, _, body) = accept(&app, "not-a-token", PASSWORD, "zh-CN").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("invite_not_found"))
    );

    // A withdrawn link stops working.
    let (_, created) = app
        .as_person(
            &owner,
            Method::POST,
            "/users/invites",
            Some(&json!({ "email": "maybe@expiry.example", "display_name": "也许", "role": "agent" })),
        )
        .await;
    let id = created["invite"]["id"].as_str().expect("id");
    let (status, _) = app
        .as_person(
            &owner,
            Method::DELETE,
            &format!("/users/invites/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let token = created["token"].as_str().expect("token");
    let (status, _, _) = accept(&app, token, PASSWORD, "zh-CN").await;
    assert_eq!(status, 404);

    // Bad invites name their field; a taken email is a conflict.
    let (status, body) = app
        .as_person(
            &owner,
            Method::POST,
            "/users/invites",
            Some(&json!({ "email": "not an email", "display_name": "某人", "role": "editor" })),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("/email")),
        "{body}"
    );
    let (status, body) = app
        .as_person(
            &owner,
            Method::POST,
            "/users/invites",
            Some(&json!({ "email": "owner@expiry.example", "display_name": "又是我", "role": "editor" })),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("email_taken")),
        "{body}"
    );
    app
}

async fn a_password_reset_link_sets_a_new_password(app: TestApp) -> TestApp {
    let tenant = app.tenant("Reset Shop").await;
    let owner = app
        .person(&tenant.id, "owner@reset.example", "店长", Role::Owner)
        .await;
    let forgetful = app
        .person(&tenant.id, "forgot@reset.example", "忘了密码", Role::Viewer)
        .await;
    let (_, people) = app.as_person(&owner, Method::GET, "/users", None).await;
    let id = user_id(&people, "forgot@reset.example");
    let (status, created) = app
        .as_person(
            &owner,
            Method::POST,
            &format!("/users/{id}/password-reset"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, person, body) = accept(
        &app,
        created["token"].as_str().expect("token"),
        PASSWORD,
        "zh-CN",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(person.is_some());
    // The old session ended; the old password no longer works, the new one does.
    assert_eq!(me_status(&app, &forgetful).await, 401);
    let (status, _) = sign_in(&app, "forgot@reset.example", "correct horse battery staple").await;
    assert_eq!(status, 401);
    let (status, _) = sign_in(&app, "forgot@reset.example", PASSWORD).await;
    assert_eq!(status, 200);
    let entries = audit(&app, &owner, &format!("?object={id}")).await;
    assert_eq!(
        actions(&entries),
        ["user.password_reset", "user.password_reset_link"]
    );
    app
}

async fn disabling_stops_sessions_and_keys_at_once(app: TestApp) -> TestApp {
    let tenant = app.tenant("Disable Shop").await;
    let owner = app
        .person(&tenant.id, "owner@disable.example", "店长", Role::Owner)
        .await;
    let helper = app
        .person(&tenant.id, "helper@disable.example", "助理", Role::Owner)
        .await;
    // The helper makes a key with their session; it works.
    let (status, key) = app
        .as_person(
            &helper,
            Method::POST,
            "/api-keys",
            Some(&json!({ "name": "助理的脚本", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    let token = key["token"].as_str().expect("token").to_owned();
    assert_eq!(app.api(Method::GET, &token, "/flows", None).await.0, 200);

    let (_, people) = app.as_person(&owner, Method::GET, "/users", None).await;
    let id = user_id(&people, "helper@disable.example");
    let (status, body) = app
        .as_person(
            &owner,
            Method::PUT,
            &format!("/users/{id}/disabled"),
            Some(&json!({ "disabled": true })),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("disabled")),
        "{body}"
    );
    assert_eq!(me_status(&app, &helper).await, 401);
    assert_eq!(app.api(Method::GET, &token, "/flows", None).await.0, 401);
    let (status, _) = sign_in(
        &app,
        "helper@disable.example",
        "correct horse battery staple",
    )
    .await;
    assert_eq!(status, 401);

    // Enabled again, the key works again (it was never revoked); the old session stays ended.
    let (status, _) = app
        .as_person(
            &owner,
            Method::PUT,
            &format!("/users/{id}/disabled"),
            Some(&json!({ "disabled": false })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.api(Method::GET, &token, "/flows", None).await.0, 200);
    assert_eq!(me_status(&app, &helper).await, 401);

    let entries = audit(&app, &owner, "?action=user.").await;
    assert_eq!(actions(&entries), ["user.enable", "user.disable"]);
    assert_eq!(entries[0]["object_name"], "助理");
    app
}

async fn the_last_owner_stays_and_own_changes_need_a_yes(app: TestApp) -> TestApp {
    let tenant = app.tenant("Owner Shop").await;
    let owner = app
        .person(&tenant.id, "owner@owner.example", "唯一店长", Role::Owner)
        .await;
    let (_, people) = app.as_person(&owner, Method::GET, "/users", None).await;
    let id = user_id(&people, "owner@owner.example");
    let demote = json!({ "role": "editor" });
    let (status, body) = app
        .as_person(
            &owner,
            Method::PUT,
            &format!("/users/{id}/role"),
            Some(&demote),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("own_account")),
        "{body}"
    );
    let confirmed = json!({ "role": "editor", "confirm_own": true });
    let (status, body) = app
        .as_person(
            &owner,
            Method::PUT,
            &format!("/users/{id}/role"),
            Some(&confirmed),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("last_owner")),
        "{body}"
    );
    // An API key cannot disable the last owner either.
    let (status, body) = app
        .api(
            Method::PUT,
            &tenant.owner_key,
            &format!("/users/{id}/disabled"),
            Some(&json!({ "disabled": true })),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("last_owner")),
        "{body}"
    );
    assert_eq!(me_status(&app, &owner).await, 200);

    // With a second owner, the first may step down.
    app.person(&tenant.id, "second@owner.example", "第二店长", Role::Owner)
        .await;
    let (status, body) = app
        .as_person(
            &owner,
            Method::PUT,
            &format!("/users/{id}/role"),
            Some(&confirmed),
        )
        .await;
    assert_eq!(
        (status, body["role"].as_str()),
        (200, Some("editor")),
        "{body}"
    );
    let (status, _) = app.as_person(&owner, Method::GET, "/audit-log", None).await;
    assert_eq!(status, 403, "an editor now");
    app
}

async fn sign_out_everywhere_ends_every_session(app: TestApp) -> TestApp {
    let tenant = app.tenant("Sessions Shop").await;
    let owner = app
        .person(&tenant.id, "owner@sessions.example", "店长", Role::Owner)
        .await;
    let staff = app
        .person(&tenant.id, "staff@sessions.example", "店员", Role::Editor)
        .await;
    let (_, staff_laptop) = sign_in(
        &app,
        "staff@sessions.example",
        "correct horse battery staple",
    )
    .await;
    let staff_laptop = staff_laptop.expect("second session");
    assert_eq!(me_status(&app, &staff).await, 200);
    assert_eq!(me_status(&app, &staff_laptop).await, 200);

    // The staff member signs themselves out everywhere: both sessions end.
    let response = app
        .client
        .post(app.url("/api/v1/auth/sessions/revoke"))
        .header("cookie", &staff.cookie)
        .header("x-csrf-token", &staff.csrf)
        .send()
        .await
        .expect("revoke");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .contains("Max-Age=0"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["ended"], 2);
    assert_eq!(me_status(&app, &staff).await, 401);
    assert_eq!(me_status(&app, &staff_laptop).await, 401);
    assert_eq!(me_status(&app, &owner).await, 200);

    // An owner signs someone else out everywhere.
    let (_, again) = sign_in(
        &app,
        "staff@sessions.example",
        "correct horse battery staple",
    )
    .await;
    let again = again.expect("signed in again");
    let (_, people) = app.as_person(&owner, Method::GET, "/users", None).await;
    let id = user_id(&people, "staff@sessions.example");
    let (status, body) = app
        .as_person(
            &owner,
            Method::POST,
            &format!("/users/{id}/sessions/revoke"),
            None,
        )
        .await;
    assert_eq!((status, body["ended"].as_u64()), (200, Some(1)), "{body}");
    assert_eq!(me_status(&app, &again).await, 401);
    let entries = audit(&app, &owner, &format!("?object={id}")).await;
    assert_eq!(
        actions(&entries),
        ["user.sign_out_everywhere", "user.sign_out_everywhere"]
    );
    app
}

async fn only_owners_manage_people(app: TestApp) -> TestApp {
    let tenant = app.tenant("Roles Shop").await;
    app.person(&tenant.id, "owner@roles.example", "店长", Role::Owner)
        .await;
    let editor = app
        .person(&tenant.id, "editor@roles.example", "编辑", Role::Editor)
        .await;
    let (status, body) = app
        .as_person(
            &editor,
            Method::POST,
            "/users/invites",
            Some(&json!({ "email": "friend@roles.example", "display_name": "朋友", "role": "owner" })),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    // An editor sees only themselves.
    let (status, people) = app.as_person(&editor, Method::GET, "/users", None).await;
    assert_eq!(status, 200);
    let users = people["users"].as_array().expect("users");
    assert_eq!(users.len(), 1, "{people}");
    assert_eq!(users[0]["email"], "editor@roles.example");
    assert_eq!(users[0]["is_you"], true);
    let (status, _) = app
        .as_person(&editor, Method::GET, "/audit-log", None)
        .await;
    assert_eq!(status, 403);
    // Another tenant's owner cannot touch this tenant's people.
    let other = app.tenant("Other Shop").await;
    let id = people["users"][0]["id"].as_str().expect("id");
    let (status, _) = app
        .api(
            Method::PUT,
            &other.owner_key,
            &format!("/users/{id}/role"),
            Some(&json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 404);
    app
}

async fn the_audit_log_filters_and_pages(app: TestApp) -> TestApp {
    let tenant = app.tenant("Audit Shop").await;
    let owner = app
        .person(&tenant.id, "owner@audit.example", "店长", Role::Owner)
        .await;
    for index in 0..5 {
        let (status, _) = app
            .as_person(
                &owner,
                Method::POST,
                "/users/invites",
                Some(&json!({
                    "email": format!("p{index}@audit.example"),
                    "display_name": format!("同事{index}"),
                    "role": "viewer",
                })),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, _) = app
        .api(
            Method::POST,
            &tenant.owner_key,
            "/api-keys",
            Some(&json!({ "name": "同步脚本", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 201);

    // Two pages of three and three, newest first, nothing twice.
    let (_, first) = app
        .as_person(&owner, Method::GET, "/audit-log?limit=3", None)
        .await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = app
        .as_person(
            &owner,
            Method::GET,
            &format!("/audit-log?limit=3&cursor={cursor}"),
            None,
        )
        .await;
    let mut seen: Vec<String> = first["entries"]
        .as_array()
        .into_iter()
        .chain(second["entries"].as_array())
        .flatten()
        .map(|entry| entry["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(seen.len(), 6);
    assert!(second["next_cursor"].is_null(), "{second}");
    seen.dedup();
    assert_eq!(seen.len(), 6);
    assert_eq!(first["entries"][0]["action"], "api_key.create");
    assert_eq!(first["entries"][0]["actor_name"], "owner key");

    // By actor: the person's five invites, not the key's work.
    let (_, people) = app.as_person(&owner, Method::GET, "/users", None).await;
    let id = user_id(&people, "owner@audit.example");
    let entries = audit(&app, &owner, &format!("?actor=user:{id}")).await;
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|entry| entry["actor_name"] == "店长"));
    // By kind, and by days: nothing tomorrow, everything today.
    assert_eq!(audit(&app, &owner, "?action=api_key.").await.len(), 1);
    let later = now_ms() + 24 * 60 * 60 * 1000;
    assert!(audit(&app, &owner, &format!("?from={later}"))
        .await
        .is_empty());
    assert_eq!(audit(&app, &owner, &format!("?to={later}")).await.len(), 6);

    // Bad filters name their parameter, in the asker's language.
    let response = app
        .client
        .get(app.url("/api/v1/audit-log?from=yesterday"))
        .header("cookie", &owner.cookie)
        .header("accept-language", "en")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["field"], "from", "{body}");
    let (status, body) = app
        .as_person(&owner, Method::GET, "/audit-log?cursor=zz", None)
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("cursor"))
    );
    let (status, body) = app
        .as_person(&owner, Method::GET, "/audit-log?who=me", None)
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("who"))
    );
    app
}

on_both_databases!(
    an_invited_colleague_joins_and_signs_in,
    links_run_out_and_can_be_withdrawn,
    a_password_reset_link_sets_a_new_password,
    disabling_stops_sessions_and_keys_at_once,
    the_last_owner_stays_and_own_changes_need_a_yes,
    sign_out_everywhere_ends_every_session,
    only_owners_manage_people,
    the_audit_log_filters_and_pages,
);
