//! Failed credentials, one row per failure and bucket: what [`crate::throttle`] counts.

use super::{Result, Store};

impl Store {
    /// The times of the bucket's failures after `since_ms`, newest first, `limit` at most.
    pub async fn recent_credential_failures(
        &self,
        bucket: &str,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let times = sqlx::query_scalar(
            "SELECT at_ms FROM credential_failures WHERE bucket = $1 AND at_ms > $2 \
             ORDER BY at_ms DESC LIMIT $3",
        )
        .bind(bucket)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(times)
    }

    /// Counts one failure in each bucket, in one transaction.
    pub async fn add_credential_failure(&self, buckets: &[&str], at_ms: i64) -> Result<()> {
        let mut transaction = self.begin_write().await?;
        for bucket in buckets {
            sqlx::query("INSERT INTO credential_failures (bucket, at_ms) VALUES ($1, $2)")
                .bind(*bucket)
                .bind(at_ms)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Forgets a bucket's failures (an account's, once its password was given).
    pub async fn clear_credential_failures(&self, bucket: &str) -> Result<()> {
        sqlx::query("DELETE FROM credential_failures WHERE bucket = $1")
            .bind(bucket)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// Forgets failures at or before `before_ms`, which no window counts any more; answers how
    /// many.
    pub async fn purge_credential_failures(&self, before_ms: i64) -> Result<u64> {
        let result = sqlx::query("DELETE FROM credential_failures WHERE at_ms <= $1")
            .bind(before_ms)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(result.rows_affected())
    }
}
