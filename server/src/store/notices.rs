//! Notices between servers sharing one database: PostgreSQL's `NOTIFY` and `LISTEN`. A notice
//! is a hint that something changed, never the change itself: it is lost when nobody listens
//! or a listening connection drops, so whoever acts on notices also reads the database now
//! and then. On SQLite there is one server, and nothing to tell.

use sqlx::postgres::PgListener;

use super::{Backend, Result, Store};

/// A connection listening on one channel; see [`Store::listen`].
pub struct Notices {
    listener: PgListener,
}

impl Notices {
    /// The next notice's payload. `None` when the connection dropped and was made again:
    /// notices sent in between are lost.
    pub async fn next(&mut self) -> Result<Option<String>> {
        Ok(self
            .listener
            .try_recv()
            .await?
            .map(|notice| notice.payload().to_owned()))
    }
}

impl Store {
    /// Sends `payload` to the servers listening on `channel` (this one's included). Does
    /// nothing on SQLite.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Listens on `channel` on a connection of its own (the pool's would be handed to other
    /// queries between notices). `None` on SQLite.
    pub async fn listen(&self, channel: &str) -> Result<Option<Notices>> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen(channel).await?;
        Ok(Some(Notices { listener }))
    }
}
