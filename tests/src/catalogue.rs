//! The database as a whole, read from its catalogue: for tests that must find something in no
//! table at all (an erased caller, a deleted tenant), including tables added later.

use sqlx::{Connection, Row};

use crate::app::TestApp;
use server::store::Backend;

/// Every table of the database, from its catalogue, each row as one text.
pub async fn every_row(app: &TestApp) -> Vec<(String, String)> {
    let mut connection = sqlx::AnyConnection::connect(&app.config.database_url)
        .await
        .expect("a connection of its own");
    let (tables_sql, columns_sql) = match app.store.backend() {
        Backend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "SELECT name FROM pragma_table_info($1)",
        ),
        Backend::Postgres => (
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        ),
    };
    let tables: Vec<String> = sqlx::query_scalar(tables_sql)
        .fetch_all(&mut connection)
        .await
        .expect("tables");
    assert!(
        tables.len() > 20,
        "the catalogue lists the tables: {tables:?}"
    );
    let mut rows = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(columns_sql)
            .bind(&table)
            .fetch_all(&mut connection)
            .await
            .expect("columns");
        let text = columns
            .iter()
            .map(|column| match app.store.backend() {
                // sqlx keeps checksums as blobs, which are no UTF-8 text.
                Backend::Sqlite => format!(
                    "COALESCE(CASE WHEN typeof(\"{column}\") = 'blob' THEN hex(\"{column}\") \
                     ELSE CAST(\"{column}\" AS TEXT) END, '')"
                ),
                Backend::Postgres => format!("COALESCE(CAST(\"{column}\" AS TEXT), '')"),
            })
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let found = sqlx::query(&format!("SELECT {text} AS row_text FROM \"{table}\""))
            .fetch_all(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("reading {table}: {error}"));
        for row in found {
            rows.push((table.clone(), row.try_get("row_text").expect("text")));
        }
    }
    let _ = connection.close().await;
    rows
}
