//! `callflow admin`: tenants, users and API keys for real deployments, straight in the database
//! that `callflow serve` uses (same `--data-dir`, `DATABASE_URL` and `--config`).
//!
//! Every failure (unknown tenant, duplicate slug or email, bad input, unreachable database)
//! prints `callflow admin: …` and exits with status 1; clap's usage errors exit with 2.

use std::io::Write;
use std::process::ExitCode;

use super::serve::DatabaseArgs;
use clap::Subcommand;
use flow_engine::calendar::Date;
use flow_engine::redact::Policy;
use server::accounts::{self, Via};
use server::language::Language;
use server::store::{constraint, now_ms, Actor, NewUser, Role, Store, Tenant, User};
use server::tenancy::{self, Names, NewTenant, Operator, TenancyError, TenantView};

use super::language;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create, change and list tenants (shops).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Create users who log in to a tenant, change their role, disable and enable them.
    #[command(subcommand)]
    User(UserCommand),
    /// Create, list and revoke a tenant's API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Create, list and revoke the operator's keys for `/api/v1/operator`.
    #[command(subcommand, name = "operator-key")]
    OperatorKey(OperatorKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum OperatorKeyCommand {
    /// Create an operator key and print its token, which is shown only this once.
    Create {
        /// What the key is for, e.g. "billing scripts".
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the operator keys, revoked ones included.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke an operator key at once, on every server.
    Revoke {
        /// The key's id (`opk_…`, see `operator-key list`).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its id.
    Create {
        /// The shop's name, e.g. "Shop".
        #[arg(long)]
        name: String,
        /// Short unique identifier: lower-case letters, digits and hyphens, e.g. `shop`.
        #[arg(long)]
        slug: String,
        /// The first owner's email: prints a one-time link with which they set their password
        /// (the names are then `--display-name zh-CN=…` and `en=…`, else `--name`).
        #[arg(long, value_name = "EMAIL")]
        owner_email: Option<String>,
        #[command(flatten)]
        settings: TenantSettingsArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Show one tenant: names, status, quotas and usage.
    Show {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Suspend a tenant: sign-in, keys, the chat widget and its phone numbers are refused.
    Suspend {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// Why, for the operator's audit log.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Resume a suspended tenant.
    Resume {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Delete a tenant with every row it has. Cannot be undone.
    Delete {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// The slug again, to confirm.
        #[arg(long, value_name = "SLUG")]
        confirm: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Change a tenant: what is given replaces what it has, the rest stays.
    Update {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A quota, `NAME=N` (1 to 1000000) or `NAME=default`, from concurrent_calls,
        /// concurrent_chats, turns_per_second, api_requests_per_minute, storage_mb (repeatable).
        #[arg(long = "quota", value_name = "NAME=N")]
        quotas: Vec<String>,
        #[command(flatten)]
        settings: TenantSettingsArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List all tenants.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user in a tenant. Without a password, one is generated and printed.
    Create {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// The login email; unique across all tenants.
        #[arg(long)]
        email: String,
        /// What the user may do.
        #[arg(long, value_parser = parse_role, value_name = "owner|editor|viewer|agent")]
        role: Role,
        /// The name shown in the editor [default: the email's part before @].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// The password (at least 12 characters). Prefer the environment variable, which stays
        /// out of the shell history.
        #[arg(long, env = "CALLFLOW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Change what a user may do.
    SetRole {
        #[command(flatten)]
        user: UserArgs,
        /// What the user may do from now on.
        #[arg(long, value_parser = parse_role, value_name = "owner|editor|viewer|agent")]
        role: Role,
    },
    /// Stop a user from signing in, ending their login sessions at once.
    Disable {
        #[command(flatten)]
        user: UserArgs,
    },
    /// Let a disabled user sign in again.
    Enable {
        #[command(flatten)]
        user: UserArgs,
    },
}

/// A tenant's settings as the command line gives them.
#[derive(Debug, clap::Args)]
pub struct TenantSettingsArgs {
    /// Base URL of the shop's own API, `{{tenant.api}}` in flows.
    #[arg(long, value_name = "URL")]
    api_base_url: Option<String>,
    /// A host that flows' HTTP nodes may reach although it is private or loopback,
    /// `host` or `host:port` (repeatable; replaces the tenant's list).
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    allowed_hosts: Vec<String>,
    /// A display name for a language, `LANG=NAME`, e.g. `zh-CN=演示商城` (repeatable).
    #[arg(long = "display-name", value_name = "LANG=NAME")]
    display_names: Vec<String>,
    /// The IANA time zone calls are dated in, e.g. `Asia/Shanghai` (the default).
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// Minutes a web chat waits for its customer before it ends as `abandoned` (default 30).
    #[arg(long, value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(1..=10_080))]
    chat_idle_minutes: Option<u32>,
    /// The kinds of personal data kept out of call records: `all` (the default), `none`, or
    /// names separated by commas from mobile, landline, id_number, bank_card, email, address.
    #[arg(long, value_name = "KINDS")]
    redact: Option<String>,
}

/// Which user a command changes.
#[derive(Debug, clap::Args)]
pub struct UserArgs {
    /// The tenant's slug.
    #[arg(long, value_name = "SLUG")]
    tenant: String,
    /// The user's login email.
    #[arg(long)]
    email: String,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print its token, which is shown only this once.
    Create {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// What the key is for, e.g. "CI import".
        #[arg(long)]
        name: String,
        /// What the key may do.
        #[arg(long, value_parser = parse_role, value_name = "owner|editor|viewer|agent")]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List a tenant's API keys, revoked ones included.
    List {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke an API key at once.
    Revoke {
        /// The tenant's slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// The key's id (`key_…`, see `api-key list`).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.trim().to_lowercase().parse().map_err(|_: String| {
        format!("unknown role \"{text}\"; choose one of owner, editor, viewer, agent")
    })
}

/// Runs an admin command; any failure is printed and exits with status 1.
pub fn run(command: AdminCommand) -> Result<ExitCode, String> {
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
        .and_then(|runtime| runtime.block_on(execute(command)));
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "callflow admin: {message}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn open(database: &DatabaseArgs) -> Result<Store, String> {
    server::app::open_store(&database.config(None)?).await
}

async fn execute(command: AdminCommand) -> Result<(), String> {
    match command {
        AdminCommand::Tenant(command) => tenant(command).await,
        AdminCommand::User(command) => user(command).await,
        AdminCommand::ApiKey(command) => api_key(command).await,
        AdminCommand::OperatorKey(command) => operator_key(command).await,
    }
}

/// `callflow admin tenant …`.
async fn tenant(command: TenantCommand) -> Result<(), String> {
    match command {
        TenantCommand::Create {
            name,
            slug,
            owner_email: Some(owner_email),
            settings: given,
            database,
        } => {
            let mut settings = server::store::TenantSettings::default();
            change_settings(&mut settings, given)?;
            let name = name.trim().to_owned();
            let named = |tag: &str| {
                settings
                    .display_name
                    .get(tag)
                    .cloned()
                    .unwrap_or_else(|| name.clone())
            };
            let new = NewTenant {
                slug: slug.trim().to_owned(),
                names: Names {
                    zh: named("zh-CN"),
                    en: named("en"),
                },
                owner_email,
                owner_name: None,
                quotas: None,
            };
            let store = open(&database).await?;
            let (tenant, invite) = tenancy::create(&store, &Operator::Admin, &new, now_ms())
                .await
                .map_err(tenancy_message)?;
            let l = language();
            println!(
                "{}",
                l.pick(
                    &format!("已创建店铺“{}”，标识 {}。", new.names.zh, tenant.slug),
                    &format!(
                        "Created the tenant \"{}\" with the slug \"{}\".",
                        new.names.en, tenant.slug
                    ),
                )
            );
            println!(
                "{}",
                l.pick(
                    &format!(
                        "店主 {} 的一次性链接（7 天内有效，只显示这一次）：<服务器地址>/#/invite/{}",
                        invite.invite.email, invite.token
                    ),
                    &format!(
                        "The owner {}'s one-time link (valid for 7 days, shown only now): <server address>/#/invite/{}",
                        invite.invite.email, invite.token
                    ),
                )
            );
            Ok(())
        }
        TenantCommand::Create {
            name,
            slug,
            owner_email: None,
            settings: given,
            database,
        } => {
            let name = name.trim();
            check_name(name, "tenant name", 200)?;
            check_slug(&slug)?;
            let mut settings = server::store::TenantSettings::default();
            change_settings(&mut settings, given)?;
            let store = open(&database).await?;
            let now = now_ms();
            let tenant = match accounts::create_tenant(&store, name, &slug, &settings, now).await {
                Ok(tenant) => tenant,
                Err(error) if error.is_conflict_on(constraint::TENANT_SLUG) => {
                    let existing = store
                        .get_tenant_by_slug(&slug)
                        .await
                        .ok()
                        .flatten()
                        .map(|t| format!(": \"{}\" ({})", t.name, t.id))
                        .unwrap_or_default();
                    return Err(format!(
                        "a tenant with the slug \"{slug}\" already exists{existing}; choose another slug"
                    ));
                }
                Err(error) => return Err(format!("cannot create the tenant: {error}")),
            };
            println!(
                "Created tenant \"{}\" with the slug \"{}\".",
                tenant.name, tenant.slug
            );
            println!("tenant id: {}", tenant.id);
            Ok(())
        }
        TenantCommand::Update {
            tenant,
            name,
            quotas,
            settings: given,
            database,
        } => {
            let name = name.map(|name| name.trim().to_owned());
            if let Some(name) = &name {
                check_name(name, "tenant name", 200)?;
            }
            let store = open(&database).await?;
            let found = find_tenant(&store, &tenant).await?;
            let mut settings = found.settings.clone();
            change_settings(&mut settings, given)?;
            // Quotas are checked before anything changes, and written by `tenancy` (with the
            // operator's audit entry) after the rest.
            let quotas = if quotas.is_empty() {
                None
            } else {
                let mut set = found.settings.quotas;
                for entry in &quotas {
                    change_quota(&mut set, entry)?;
                }
                let mut problems = Vec::new();
                tenancy::check_quotas(&set, &mut problems);
                if !problems.is_empty() {
                    return Err(tenancy_message(TenancyError::Invalid(problems)));
                }
                Some(set)
            };
            let name = name.unwrap_or(found.name);
            let actor = Actor::system(&found.id);
            accounts::update_tenant(&store, &actor, &name, &settings, Via::Admin, now_ms())
                .await
                .map_err(|e| format!("cannot change the tenant: {e}"))?
                .ok_or_else(|| format!("the tenant \"{}\" no longer exists", found.slug))?;
            if let Some(quotas) = quotas {
                let update = tenancy::TenantUpdate {
                    names: None,
                    quotas: Some(quotas),
                };
                tenancy::update(&store, &Operator::Admin, &found.slug, &update, now_ms())
                    .await
                    .map_err(tenancy_message)?;
            }
            println!("Changed the tenant \"{}\" ({name}).", found.slug);
            Ok(())
        }
        TenantCommand::Show { tenant, database } => {
            let store = open(&database).await?;
            let view = tenancy::show(&store, &tenant)
                .await
                .map_err(tenancy_message)?;
            print_tenant(&view);
            Ok(())
        }
        TenantCommand::Suspend {
            tenant,
            reason,
            database,
        } => {
            let store = open(&database).await?;
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let was = tenancy::find(&store, &tenant)
                .await
                .map_err(tenancy_message)?;
            tenancy::set_suspended(&store, &Operator::Admin, &tenant, true, reason, now_ms())
                .await
                .map_err(tenancy_message)?;
            let l = language();
            if was.suspended_at.is_some() {
                println!(
                    "{}",
                    l.pick(
                        &format!("店铺 {} 已经是暂停状态。", was.slug),
                        &format!("The tenant \"{}\" was already suspended.", was.slug),
                    )
                );
            } else {
                println!("{}", l.pick(
                    &format!("已暂停店铺 {}：登录、密钥、网页客服和来电都会被拒绝（其他服务器在 1 秒内生效）。", was.slug),
                    &format!("Suspended the tenant \"{}\": sign-in, keys, the chat widget and calls are refused (on other servers within a second).", was.slug),
                ));
            }
            Ok(())
        }
        TenantCommand::Resume { tenant, database } => {
            let store = open(&database).await?;
            let found =
                tenancy::set_suspended(&store, &Operator::Admin, &tenant, false, None, now_ms())
                    .await
                    .map_err(tenancy_message)?;
            println!(
                "{}",
                language().pick(
                    &format!("已恢复店铺 {}。", found.slug),
                    &format!("Resumed the tenant \"{}\".", found.slug),
                )
            );
            Ok(())
        }
        TenantCommand::Delete {
            tenant,
            confirm,
            database,
        } => {
            let store = open(&database).await?;
            let (_, deleted) =
                tenancy::delete(&store, &Operator::Admin, &tenant, &confirm, now_ms())
                    .await
                    .map_err(tenancy_message)?;
            let rows: u64 = deleted.iter().map(|(_, rows)| rows).sum();
            println!(
                "{}",
                language().pick(
                    &format!("已删除店铺 {} 及其全部数据（{rows} 行）。", tenant.trim()),
                    &format!(
                        "Deleted the tenant \"{}\" with all its data ({rows} rows).",
                        tenant.trim()
                    ),
                )
            );
            Ok(())
        }
        TenantCommand::List { database } => {
            let store = open(&database).await?;
            let tenants = store
                .list_tenants()
                .await
                .map_err(|e| format!("cannot list the tenants: {e}"))?;
            if tenants.is_empty() {
                println!("No tenants yet; `callflow admin tenant create` makes one.");
                return Ok(());
            }
            let rows: Vec<[String; 4]> = tenants
                .iter()
                .map(|t| {
                    [
                        t.slug.clone(),
                        t.id.clone(),
                        t.name.clone(),
                        t.settings.api_base_url.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print_table(["SLUG", "ID", "NAME", "API BASE URL"], &rows);
            Ok(())
        }
    }
}

/// Applies `NAME=N` or `NAME=default` to the quotas; the values are checked by
/// `tenancy::update`.
fn change_quota(quotas: &mut server::store::Quotas, entry: &str) -> Result<(), String> {
    let l = language();
    let wrong = || {
        l.pick(
            &format!("--quota 需要 名称=数值 或 名称=default（名称为 concurrent_calls、concurrent_chats、turns_per_second、api_requests_per_minute、storage_mb），不是“{entry}”"),
            &format!("--quota wants NAME=N or NAME=default (NAME one of concurrent_calls, concurrent_chats, turns_per_second, api_requests_per_minute, storage_mb), not \"{entry}\""),
        )
        .to_owned()
    };
    let (name, value) = entry.split_once('=').ok_or_else(wrong)?;
    let value = match value.trim() {
        "default" => None,
        number => Some(number.parse::<u32>().map_err(|_| wrong())?),
    };
    let slot = match name.trim() {
        "concurrent_calls" => &mut quotas.concurrent_calls,
        "concurrent_chats" => &mut quotas.concurrent_chats,
        "turns_per_second" => &mut quotas.turns_per_second,
        "api_requests_per_minute" => &mut quotas.api_requests_per_minute,
        "storage_mb" => &mut quotas.storage_mb,
        _ => return Err(wrong()),
    };
    *slot = value;
    Ok(())
}

/// A refusal of `crate::tenancy` in the command line's language.
fn tenancy_message(error: TenancyError) -> String {
    let l = language();
    match error {
        TenancyError::Invalid(problems) => problems
            .iter()
            .map(|problem| {
                let rendered = problem.render(l);
                format!("{}: {}", rendered.field, rendered.message)
            })
            .collect::<Vec<_>>()
            .join("; "),
        TenancyError::SlugTaken => l
            .pick(
                "已有店铺使用这个标识，请换一个",
                "a tenant with this slug already exists; choose another slug",
            )
            .to_owned(),
        TenancyError::EmailTaken => l
            .pick(
                "已有人用这个邮箱登录（邮箱在所有店铺中唯一）",
                "someone already signs in with this email (emails are unique across tenants)",
            )
            .to_owned(),
        TenancyError::NotFound => l
            .pick(
                "没有这个标识的店铺（`callflow admin tenant list` 列出全部）",
                "no tenant has this slug (`callflow admin tenant list` lists them)",
            )
            .to_owned(),
        TenancyError::NotConfirmed => l
            .pick(
                "--confirm 必须再写一遍店铺标识",
                "--confirm must repeat the tenant's slug",
            )
            .to_owned(),
        TenancyError::Store(error) => {
            format!("{}: {error}", l.pick("数据库出错", "database error"))
        }
    }
}

fn print_tenant(view: &TenantView) {
    let l = language();
    let quota = |value: Option<u32>| match value {
        Some(value) => value.to_string(),
        None => l.pick("默认", "default").to_owned(),
    };
    let status = match (view.status, l) {
        ("suspended", Language::Chinese) => "已暂停",
        ("suspended", Language::English) => "suspended",
        (_, Language::Chinese) => "正常",
        (_, Language::English) => "active",
    };
    let rows = [
        (l.pick("标识", "slug"), view.slug.clone()),
        (l.pick("中文名称", "name (zh-CN)"), view.names.zh.clone()),
        (l.pick("英文名称", "name (en)"), view.names.en.clone()),
        (l.pick("状态", "status"), status.to_owned()),
        (l.pick("创建于", "created"), format_time(view.created_at)),
        (l.pick("用户", "users"), view.usage.users.to_string()),
        (l.pick("流程", "flows"), view.usage.flows.to_string()),
        (
            l.pick("会话", "conversations"),
            view.usage.conversations.to_string(),
        ),
        (
            l.pick("进行中的会话", "open conversations"),
            view.usage.open_conversations.to_string(),
        ),
        (
            l.pick("同时通话上限", "concurrent calls"),
            quota(view.quotas.concurrent_calls),
        ),
        (
            l.pick("同时聊天上限", "concurrent chats"),
            quota(view.quotas.concurrent_chats),
        ),
        (
            l.pick("每秒轮次上限", "turns per second"),
            quota(view.quotas.turns_per_second),
        ),
        (
            l.pick("每分钟 API 请求上限", "API requests per minute"),
            quota(view.quotas.api_requests_per_minute),
        ),
        (
            l.pick("存储上限（MB）", "storage (MB)"),
            quota(view.quotas.storage_mb),
        ),
    ];
    for (label, value) in rows {
        println!("{label}: {value}");
    }
}

/// `callflow admin operator-key …`.
async fn operator_key(command: OperatorKeyCommand) -> Result<(), String> {
    let l = language();
    match command {
        OperatorKeyCommand::Create { name, database } => {
            let name = name.trim();
            check_name(name, "key name", tenancy::operator_keys::MAX_NAME_CHARS)?;
            let store = open(&database).await?;
            let created = tenancy::operator_keys::create(&store, &Operator::Admin, name, now_ms())
                .await
                .map_err(|e| {
                    format!(
                        "{}: {e}",
                        l.pick("无法创建运营方密钥", "cannot create the operator key")
                    )
                })?;
            println!(
                "{}",
                l.pick(
                    &format!("已创建运营方密钥“{}”。", created.key.name),
                    &format!("Created the operator key \"{}\".", created.key.name),
                )
            );
            println!("key id: {}", created.key.id);
            println!("token:  {}", created.token);
            println!("{}", l.pick(
                "密钥只显示这一次，无法找回。请以 `Authorization: Bearer <密钥>` 发送给 /api/v1/operator。",
                "The token is shown only now and cannot be recovered. Send it to /api/v1/operator as `Authorization: Bearer <token>`.",
            ));
            Ok(())
        }
        OperatorKeyCommand::List { database } => {
            let store = open(&database).await?;
            let keys = tenancy::operator_keys::list(&store).await.map_err(|e| {
                format!(
                    "{}: {e}",
                    l.pick("无法列出运营方密钥", "cannot list the operator keys")
                )
            })?;
            if keys.is_empty() {
                println!(
                    "{}",
                    l.pick(
                        "还没有运营方密钥；`callflow admin operator-key create` 可以创建。",
                        "No operator keys yet; `callflow admin operator-key create` makes one.",
                    )
                );
                return Ok(());
            }
            let rows: Vec<[String; 5]> = keys
                .iter()
                .map(|k| {
                    [
                        k.id.clone(),
                        k.name.clone(),
                        format!("cfo_{}_…", k.prefix),
                        k.last_used_at
                            .map(format_time)
                            .unwrap_or_else(|| "-".into()),
                        match k.revoked_at {
                            Some(at) => {
                                format!("{} {}", l.pick("已吊销", "revoked"), format_time(at))
                            }
                            None => l.pick("有效", "active").to_owned(),
                        },
                    ]
                })
                .collect();
            let header = match l {
                Language::Chinese => ["ID", "名称", "密钥", "最近使用", "状态"],
                Language::English => ["ID", "NAME", "TOKEN", "LAST USED", "STATUS"],
            };
            print_table(header, &rows);
            Ok(())
        }
        OperatorKeyCommand::Revoke { id, database } => {
            let store = open(&database).await?;
            let id = id.trim();
            let revoked = tenancy::operator_keys::revoke(&store, &Operator::Admin, id, now_ms())
                .await
                .map_err(|e| {
                    format!(
                        "{}: {e}",
                        l.pick("无法吊销运营方密钥", "cannot revoke the operator key")
                    )
                })?;
            if !revoked {
                return Err(l
                    .pick(
                        &format!("没有未吊销的运营方密钥 {id}（`callflow admin operator-key list` 列出全部）"),
                        &format!("there is no unrevoked operator key {id} (`callflow admin operator-key list` lists them)"),
                    )
                    .to_owned());
            }
            println!(
                "{}",
                l.pick(
                    &format!("已吊销运营方密钥 {id}。"),
                    &format!("Revoked the operator key {id}.")
                )
            );
            Ok(())
        }
    }
}

/// `callflow admin user …`.
async fn user(command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Create {
            tenant,
            email,
            role,
            name,
            password,
            database,
        } => {
            let email = email.trim().to_lowercase();
            check_email(&email)?;
            let display_name = match &name {
                Some(name) => name.trim().to_owned(),
                None => email.split('@').next().unwrap_or_default().to_owned(),
            };
            check_name(&display_name, "name", 200)?;
            let (password, generated) = match password {
                Some(password) => {
                    if password.chars().count() < accounts::MIN_PASSWORD_CHARS {
                        return Err(format!(
                            "the password is too short: use at least {} characters, or leave it out to have one generated",
                            accounts::MIN_PASSWORD_CHARS
                        ));
                    }
                    (password, false)
                }
                None => (
                    server::demo::first_run::generate_password().map_err(|e| e.to_string())?,
                    true,
                ),
            };
            let store = open(&database).await?;
            let tenant = find_tenant(&store, &tenant).await?;
            let new = NewUser {
                email: &email,
                display_name: &display_name,
                password: &password,
                role,
            };
            let actor = Actor::system(&tenant.id);
            let user = match accounts::create_user(&store, &actor, &new, Via::Admin, now_ms()).await
            {
                Ok(user) => user,
                Err(error) if error.is_conflict_on(constraint::USER_EMAIL) => {
                    let place = tenant_of_email(&store, &email)
                        .await
                        .map(|slug| format!(" in the tenant \"{slug}\""))
                        .unwrap_or_default();
                    return Err(format!(
                        "a user with the email {email} already exists{place} (emails are unique across all tenants)"
                    ));
                }
                Err(error) => return Err(format!("cannot create the user: {error}")),
            };
            println!(
                "Created user {} ({}) in the tenant \"{}\".",
                user.email, user.role, tenant.slug
            );
            println!("user id:  {}", user.id);
            if generated {
                println!("password: {password}");
                println!(
                    "The password was generated and is shown only now; store it somewhere safe."
                );
            }
            Ok(())
        }
        UserCommand::SetRole { user, role } => {
            let (store, tenant, found) = find_user(&user).await?;
            let actor = Actor::system(&tenant.id);
            accounts::set_user_role(&store, &actor, &found.id, role, Via::Admin, now_ms())
                .await
                .map_err(|e| format!("cannot change the role: {e}"))?;
            println!(
                "{} is now {role} in the tenant \"{}\".",
                found.email, tenant.slug
            );
            Ok(())
        }
        UserCommand::Disable { user } => {
            let (store, tenant, found) = find_user(&user).await?;
            let actor = Actor::system(&tenant.id);
            accounts::set_user_disabled(&store, &actor, &found.id, true, Via::Admin, now_ms())
                .await
                .map_err(|e| format!("cannot disable the user: {e}"))?;
            println!("Disabled {} and ended their sessions.", found.email);
            Ok(())
        }
        UserCommand::Enable { user } => {
            let (store, tenant, found) = find_user(&user).await?;
            let actor = Actor::system(&tenant.id);
            accounts::set_user_disabled(&store, &actor, &found.id, false, Via::Admin, now_ms())
                .await
                .map_err(|e| format!("cannot enable the user: {e}"))?;
            println!("Enabled {}.", found.email);
            Ok(())
        }
    }
}

/// `callflow admin api-key …`.
async fn api_key(command: ApiKeyCommand) -> Result<(), String> {
    match command {
        ApiKeyCommand::Create {
            tenant,
            name,
            role,
            database,
        } => {
            let name = name.trim();
            check_name(name, "key name", 100)?;
            let store = open(&database).await?;
            let tenant = find_tenant(&store, &tenant).await?;
            let actor = Actor::system(&tenant.id);
            let created =
                accounts::create_api_key(&store, &actor, name, role, Via::Admin, now_ms())
                    .await
                    .map_err(|e| format!("cannot create the API key: {e}"))?;
            println!(
                "Created API key \"{}\" ({}) in the tenant \"{}\".",
                created.key.name, created.key.role, tenant.slug
            );
            println!("key id: {}", created.key.id);
            println!("token:  {}", created.token);
            println!(
                "The token is shown only now and cannot be recovered. Send it as `Authorization: Bearer <token>`."
            );
            Ok(())
        }
        ApiKeyCommand::List { tenant, database } => {
            let store = open(&database).await?;
            let tenant = find_tenant(&store, &tenant).await?;
            let keys = store
                .list_api_keys(&tenant.id)
                .await
                .map_err(|e| format!("cannot list the API keys: {e}"))?;
            if keys.is_empty() {
                println!("The tenant \"{}\" has no API keys.", tenant.slug);
                return Ok(());
            }
            let rows: Vec<[String; 6]> = keys
                .iter()
                .map(|k| {
                    [
                        k.id.clone(),
                        k.name.clone(),
                        k.role.to_string(),
                        format!("cf_{}_…", k.prefix),
                        k.last_used_at
                            .map(format_time)
                            .unwrap_or_else(|| "-".into()),
                        match k.revoked_at {
                            Some(at) => format!("revoked {}", format_time(at)),
                            None => "active".into(),
                        },
                    ]
                })
                .collect();
            print_table(
                ["ID", "NAME", "ROLE", "TOKEN", "LAST USED", "STATUS"],
                &rows,
            );
            Ok(())
        }
        ApiKeyCommand::Revoke {
            tenant,
            id,
            database,
        } => {
            let store = open(&database).await?;
            let tenant = find_tenant(&store, &tenant).await?;
            let id = id.trim();
            let key = store
                .get_api_key(&tenant.id, id)
                .await
                .map_err(|e| format!("cannot read the API key: {e}"))?
                .ok_or_else(|| {
                    format!(
                        "the tenant \"{}\" has no API key with the id \"{id}\" (`callflow admin api-key list --tenant {}` shows its keys)",
                        tenant.slug, tenant.slug
                    )
                })?;
            if let Some(at) = key.revoked_at {
                println!(
                    "The API key {} (\"{}\") was already revoked at {}.",
                    key.id,
                    key.name,
                    format_time(at)
                );
                return Ok(());
            }
            let actor = Actor::system(&tenant.id);
            accounts::revoke_api_key(&store, &actor, &key.id, Via::Admin, now_ms())
                .await
                .map_err(|e| format!("cannot revoke the API key: {e}"))?;
            println!(
                "Revoked the API key {} (\"{}\") of the tenant \"{}\".",
                key.id, key.name, tenant.slug
            );
            Ok(())
        }
    }
}

async fn find_tenant(store: &Store, slug: &str) -> Result<Tenant, String> {
    let slug = slug.trim();
    if let Some(tenant) = store
        .get_tenant_by_slug(slug)
        .await
        .map_err(|e| format!("cannot read the tenants: {e}"))?
    {
        return Ok(tenant);
    }
    let known: Vec<String> = store
        .list_tenants()
        .await
        .map(|tenants| tenants.into_iter().map(|t| t.slug).collect())
        .unwrap_or_default();
    Err(if known.is_empty() {
        format!("there is no tenant with the slug \"{slug}\"; there are no tenants yet (`callflow admin tenant create`)")
    } else {
        format!(
            "there is no tenant with the slug \"{slug}\"; the tenants are: {}",
            known.join(", ")
        )
    })
}

/// The database, the tenant and its user a user command names.
async fn find_user(user: &UserArgs) -> Result<(Store, Tenant, User), String> {
    let store = open(&user.database).await?;
    let tenant = find_tenant(&store, &user.tenant).await?;
    let email = user.email.trim().to_lowercase();
    let found = store
        .list_users(&tenant.id)
        .await
        .map_err(|e| format!("cannot read the users: {e}"))?
        .into_iter()
        .find(|candidate| candidate.email == email)
        .ok_or_else(|| format!("the tenant \"{}\" has no user {email}", tenant.slug))?;
    Ok((store, tenant, found))
}

/// Applies the tenant settings given on the command line: an API base URL, the allowed hosts
/// (replacing the list when any is given) and display names by language.
fn change_settings(
    settings: &mut server::store::TenantSettings,
    given: TenantSettingsArgs,
) -> Result<(), String> {
    let TenantSettingsArgs {
        api_base_url,
        allowed_hosts,
        display_names,
        time_zone,
        chat_idle_minutes,
        redact,
    } = given;
    if let Some(list) = redact {
        settings.redaction = Policy::parse(&list).map_err(|name| {
            format!(
                "--redact wants all, none, or kinds from mobile, landline, id_number, \
                 bank_card, email, address separated by commas; \"{name}\" is none of them"
            )
        })?;
    }
    if let Some(zone) = time_zone {
        let zone = zone.trim();
        server::conversation::local_time::parse_time_zone(zone).ok_or_else(|| {
            format!("--time-zone wants an IANA time zone such as Asia/Shanghai, not \"{zone}\"")
        })?;
        settings.time_zone = Some(zone.to_owned());
    }
    if let Some(minutes) = chat_idle_minutes {
        settings.chat_idle_minutes = Some(minutes);
    }
    if let Some(url) = api_base_url {
        settings.api_base_url = Some(check_api_base_url(&url)?);
    }
    if !allowed_hosts.is_empty() {
        for host in &allowed_hosts {
            check_allowed_host(host)?;
        }
        settings.allowed_hosts = allowed_hosts.iter().map(|h| h.trim().to_owned()).collect();
    }
    for entry in &display_names {
        let (language, display) = entry
            .split_once('=')
            .map(|(l, d)| (l.trim(), d.trim()))
            .filter(|(l, d)| !l.is_empty() && !d.is_empty())
            .ok_or_else(|| {
                format!("--display-name wants LANG=NAME, e.g. zh-CN=演示商城, not \"{entry}\"")
            })?;
        settings
            .display_name
            .insert(language.to_owned(), display.to_owned());
    }
    Ok(())
}

/// The slug of the tenant that has a user with this email, for the duplicate-email message.
async fn tenant_of_email(store: &Store, email: &str) -> Option<String> {
    for tenant in store.list_tenants().await.ok()? {
        let users = store.list_users(&tenant.id).await.ok()?;
        if users.iter().any(|u| u.email == email) {
            return Some(tenant.slug);
        }
    }
    None
}

fn check_name(name: &str, what: &str, max_chars: usize) -> Result<(), String> {
    let count = name.chars().count();
    if count == 0 || count > max_chars {
        return Err(format!(
            "the {what} must have 1 to {max_chars} characters, not {count}"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("the {what} must not contain control characters"));
    }
    Ok(())
}

fn check_slug(slug: &str) -> Result<(), String> {
    let valid = (2..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "the slug \"{slug}\" is not valid: use 2 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen (e.g. \"my-shop\")"
        ))
    }
}

fn check_email(email: &str) -> Result<(), String> {
    let valid = accounts::is_email(email);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "\"{email}\" is not an email address (expected name@example.com)"
        ))
    }
}

fn check_api_base_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("--api-base-url \"{url}\" is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "--api-base-url \"{url}\" must be an http:// or https:// URL with a host"
        ));
    }
    Ok(url.to_owned())
}

fn check_allowed_host(host: &str) -> Result<(), String> {
    let host = host.trim();
    let bare_ipv6 = host.parse::<std::net::Ipv6Addr>().is_ok();
    let valid = bare_ipv6
        || (!host.is_empty()
            && !host.contains(['/', '?', '#', '@'])
            && reqwest::Url::parse(&format!("http://{host}/"))
                .is_ok_and(|url| url.host_str().is_some()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "--allow-host \"{host}\" is not a host or host:port (e.g. shop.internal or 10.0.0.5:8080)"
        ))
    }
}

/// Epoch milliseconds as `YYYY-MM-DD HH:MM UTC`.
fn format_time(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        Date::of_moment(ms, 0),
        rest / 3600,
        rest % 3600 / 60
    )
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            text.push_str(cell);
            if index + 1 < N {
                let pad = width - cell.chars().count() + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text
    };
    println!("{}", line(header));
    for row in rows {
        println!("{}", line(row.each_ref().map(String::as_str)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flow_engine::redact::Kind;

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_718_700_000_000), "2024-06-18 08:40 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn inputs_are_checked() {
        assert!(check_slug("my-shop").is_ok());
        assert!(check_slug("My Shop").is_err());
        assert!(check_slug("-x").is_err());
        assert!(check_email("ana@shop.example").is_ok());
        assert!(check_email("ana").is_err());
        assert!(check_email("a b@x").is_err());
        assert_eq!(
            check_api_base_url("https://shop.example/api/").as_deref(),
            Ok("https://shop.example/api")
        );
        assert!(check_api_base_url("ftp://x").is_err());
        assert!(check_allowed_host("10.0.0.5:8080").is_ok());
        assert!(check_allowed_host("[::1]:9000").is_ok());
        assert!(check_allowed_host("::1").is_ok());
        assert!(check_allowed_host("http://x/").is_err());
        assert_eq!(parse_role("Editor"), Ok(Role::Editor));
        assert!(parse_role("boss").is_err());
    }

    fn given(time_zone: Option<&str>, chat_idle_minutes: Option<u32>) -> TenantSettingsArgs {
        TenantSettingsArgs {
            api_base_url: None,
            allowed_hosts: Vec::new(),
            display_names: Vec::new(),
            time_zone: time_zone.map(str::to_owned),
            chat_idle_minutes,
            redact: None,
        }
    }

    #[test]
    fn the_redaction_policy_is_given_by_kind_names() {
        let mut settings = server::store::TenantSettings::default();
        assert_eq!(settings.redaction, Policy::default());
        let mut args = given(None, None);
        args.redact = Some("mobile,bank_card".into());
        change_settings(&mut settings, args).expect("valid");
        assert_eq!(
            settings.redaction,
            Policy::only([Kind::Mobile, Kind::BankCard])
        );
        let mut args = given(None, None);
        args.redact = Some("phone".into());
        let refused = change_settings(&mut settings, args);
        assert!(refused.is_err_and(|message| message.contains("\"phone\"")));
        let mut args = given(None, None);
        args.redact = Some("none".into());
        change_settings(&mut settings, args).expect("valid");
        assert_eq!(settings.redaction, Policy::off());
    }

    #[test]
    fn time_zones_are_checked_and_settings_left_out_are_kept() {
        let mut settings = server::store::TenantSettings::default();
        change_settings(&mut settings, given(Some(" Europe/Berlin "), Some(15))).expect("valid");
        assert_eq!(settings.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(settings.chat_idle_minutes, Some(15));
        let refused = change_settings(&mut settings, given(Some("Berlin"), None));
        assert!(refused.is_err_and(|message| message.contains("--time-zone")));
        change_settings(&mut settings, given(None, None)).expect("nothing to change");
        assert_eq!(
            (settings.time_zone.as_deref(), settings.chat_idle_minutes),
            (Some("Europe/Berlin"), Some(15))
        );
    }
}
