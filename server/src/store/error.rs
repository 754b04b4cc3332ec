use std::borrow::Cow;

use sqlx::error::{DatabaseError, ErrorKind};

/// Why a store operation failed. A missing row is not an error: lookups return `Option`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; `constraint` is one of [`constraint`]'s names.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// A compare-and-set lost: the row has moved on to `current`.
    #[error("revision mismatch: the current revision is {current}")]
    RevisionMismatch { current: i64 },
    #[error("invalid paging cursor")]
    InvalidCursor,
    /// A row holds something the server cannot have written (bad JSON, unknown enum value).
    #[error("corrupt data in {table}.{column}: {detail}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        detail: String,
    },
    #[error("unsupported database URL (expected sqlite: or postgres:): {0}")]
    UnsupportedUrl(String),
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The lock that keeps two processes from migrating one SQLite file at once failed.
    #[error("cannot lock the database file for migrating: {0}")]
    Lock(String),
    /// The database file's permissions could not be made private.
    #[error("cannot make the database file private to this user: {0}")]
    FileMode(#[from] std::io::Error),
    /// A new conversation was not written: its tenant's conversations open at once on its
    /// channel are at `limit` (see `ChatStart::open_limit`).
    #[error("the tenant's open conversations are at their limit of {limit}")]
    AtLimit { limit: i64 },
    /// The store was closed, or its writer stopped, before the write was done.
    #[error("the database is closed")]
    Closed,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(database_error) = &error {
            if database_error.kind() == ErrorKind::UniqueViolation {
                return StoreError::Conflict {
                    constraint: unique_constraint_name(database_error.as_ref()),
                };
            }
        }
        StoreError::Database(error)
    }
}

impl StoreError {
    /// Whether this is a unique-constraint conflict on `constraint`.
    pub fn is_conflict_on(&self, constraint: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint: name } if name == constraint)
    }

    pub(crate) fn corrupt(
        table: &'static str,
        column: &'static str,
        detail: impl ToString,
    ) -> Self {
        StoreError::Corrupt {
            table,
            column,
            detail: detail.to_string(),
        }
    }
}

/// Names of the unique constraints, equal on both databases, for mapping conflicts to API errors.
pub mod constraint {
    pub const TENANT_SLUG: &str = "tenants_slug_key";
    pub const USER_EMAIL: &str = "users_email_key";
    pub const API_KEY_PREFIX: &str = "api_keys_prefix_key";
    pub const OPERATOR_KEY_PREFIX: &str = "operator_keys_prefix_key";
    pub const FLOW_NAME: &str = "flows_tenant_id_name_key";
    pub const FLOW_VERSION: &str = "flow_versions_pkey";
    pub const CALL_SID: &str = "conversations_tenant_id_call_sid_key";
    pub const CALL_EVENT_SEQ: &str = "call_events_pkey";
    pub const KNOWLEDGE_BASE_KEY: &str = "knowledge_bases_tenant_id_key_key";
    /// One open handoff per conversation (a partial unique index).
    pub const HANDOFF_OPEN: &str = "handoffs_tenant_id_call_id_key";
    /// One contact per number in a list.
    pub const CONTACT_PHONE: &str = "contacts_list_id_phone_key";
}

// SQLite extended result code for a primary-key violation (2067 is any other unique one).
const SQLITE_CONSTRAINT_PRIMARYKEY: &str = "1555";

/// PostgreSQL names the violated constraint; SQLite only says
/// `UNIQUE constraint failed: users.tenant_id, users.email`, from which we rebuild the name
/// PostgreSQL would give: `<table>_<columns>_key`, or `<table>_pkey` for a primary key.
fn unique_constraint_name(error: &dyn DatabaseError) -> String {
    if let Some(name) = error.constraint() {
        return name.to_owned();
    }
    sqlite_constraint_name(error.message(), error.code())
        .unwrap_or_else(|| "unknown_unique_constraint".to_owned())
}

fn sqlite_constraint_name(message: &str, code: Option<Cow<'_, str>>) -> Option<String> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    let mut table = None;
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        let (table_name, column) = qualified.split_once('.')?;
        table = Some(table_name);
        names.push(column);
    }
    let table = table?;
    if code.as_deref() == Some(SQLITE_CONSTRAINT_PRIMARYKEY) {
        Some(format!("{table}_pkey"))
    } else {
        Some(format!("{table}_{}_key", names.join("_")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_map_to_postgres_names() {
        assert_eq!(
            sqlite_constraint_name(
                "UNIQUE constraint failed: flows.tenant_id, flows.name",
                Some("2067".into())
            )
            .as_deref(),
            Some(constraint::FLOW_NAME)
        );
        assert_eq!(
            sqlite_constraint_name(
                "UNIQUE constraint failed: flow_versions.tenant_id, flow_versions.flow_id, flow_versions.version",
                Some("1555".into())
            )
            .as_deref(),
            Some(constraint::FLOW_VERSION)
        );
        assert_eq!(
            sqlite_constraint_name("FOREIGN KEY constraint failed", None),
            None
        );
    }
}
