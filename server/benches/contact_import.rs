//! What importing a contact list of 100,000 rows costs: reading the XLSX and normalising its
//! numbers (criterion), and the whole import into SQLite and PostgreSQL (timed runs that print
//! rows/s, since a run takes seconds and writes a database).
//!
//! The file is a shop's member export: mainland mobiles (most typed as numbers, some as text
//! with spaces or a +86), landlines with their area codes, some US numbers, a birthday formatted
//! as a date, a member level; about 1% of the rows are bad and about 2% repeat an earlier
//! number in another spelling.
//!
//! PostgreSQL is `postgres://postgres@127.0.0.1:5432` unless `CALLFLOW_BENCH_POSTGRES_URL` says
//! otherwise; a database of its own is made and dropped. The whole imports run when no filter
//! is given or the filter is `whole_import`.

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, Criterion, Throughput};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook, XlsxError};
use server::contacts::import::{self, ImportReport};
use server::knowledge::sheet::{self, Format};
use server::store::{Actor, Store, TenantSettings};
use sqlx::Connection;

const ROWS: usize = 100_000;
const RUNS: usize = 3;

/// A small deterministic generator (64-bit LCG), so every run reads the same file.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }

    fn digits(&mut self, count: u32) -> u64 {
        self.next(10_u64.pow(count))
    }
}

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "杰", "婷",
];
const LEVELS: &[&str] = &["regular", "silver", "gold", "platinum"];
const MOBILE_PREFIXES: &[u64] = &[130, 135, 138, 139, 150, 158, 177, 186, 188, 199];
const AREA_CODES: &[&str] = &["010", "021", "020", "0755", "0571"];
const US_AREA_CODES: &[u64] = &[212, 415, 646, 312, 617, 206];

/// One row's number cell: a number (as Excel keeps a typed mobile) or text.
enum Phone {
    Number(f64),
    Text(String),
}

fn workbook(rows: usize) -> Result<Vec<u8>, XlsxError> {
    let mut random = Numbers(2026);
    let mut workbook = Workbook::new();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    for (column, name) in ["手机", "姓名", "birthday", "level"].iter().enumerate() {
        sheet.write_string(0, column as u16, *name)?;
    }
    let mut mobiles: Vec<u64> = Vec::new();
    for index in 0..rows {
        let row = index as u32 + 1;
        let kind = random.next(1000);
        let phone = match kind {
            // About 1% bad: too short, empty, letters.
            0..=3 => Phone::Text("12345".to_owned()),
            4..=6 => Phone::Text(String::new()),
            7..=9 => Phone::Text("call me".to_owned()),
            // About 2% repeat an earlier mobile, spelt with +86.
            10..=29 if !mobiles.is_empty() => {
                let earlier = mobiles[random.next(mobiles.len() as u64) as usize];
                Phone::Text(format!("+86 {earlier}"))
            }
            // About 8% US numbers.
            30..=109 => Phone::Text(format!(
                "+1 {}-{}-{:04}",
                US_AREA_CODES[random.next(US_AREA_CODES.len() as u64) as usize],
                200 + random.next(800),
                random.digits(4)
            )),
            // About 15% landlines: an area code and a local number of eight digits.
            110..=259 => Phone::Text(format!(
                "{}-{}{:07}",
                AREA_CODES[random.next(AREA_CODES.len() as u64) as usize],
                2 + random.next(8),
                random.digits(7)
            )),
            // Mobiles: about 15% as text with spaces, the rest as numbers.
            _ => {
                let prefix = MOBILE_PREFIXES[random.next(MOBILE_PREFIXES.len() as u64) as usize];
                let mobile = prefix * 100_000_000 + random.digits(8);
                mobiles.push(mobile);
                if kind < 410 {
                    let text = mobile.to_string();
                    Phone::Text(format!("{} {} {}", &text[..3], &text[3..7], &text[7..]))
                } else {
                    Phone::Number(mobile as f64)
                }
            }
        };
        match phone {
            Phone::Number(number) => sheet.write_number(row, 0, number)?,
            Phone::Text(text) => sheet.write_string(row, 0, text)?,
        };
        let name = format!(
            "{}{}",
            SURNAMES[random.next(SURNAMES.len() as u64) as usize],
            GIVEN[random.next(GIVEN.len() as u64) as usize]
        );
        sheet.write_string(row, 1, name)?;
        let birthday = ExcelDateTime::from_ymd(
            1960 + random.next(45) as u16,
            1 + random.next(12) as u8,
            1 + random.next(28) as u8,
        )?;
        sheet.write_datetime_with_format(row, 2, birthday, &date)?;
        sheet.write_string(row, 3, LEVELS[random.next(LEVELS.len() as u64) as usize])?;
    }
    workbook.save_to_buffer()
}

fn parsing(c: &mut Criterion) {
    let bytes = workbook(ROWS).expect("the benchmark's workbook");
    let zone = chrono_tz::Asia::Shanghai;
    let mut group = c.benchmark_group("contact_import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("read_xlsx_100k", |b| {
        b.iter(|| sheet::records(Format::Xlsx, black_box(&bytes), ROWS, Some(zone)))
    });
    group.bench_function("parse_and_normalise_100k", |b| {
        b.iter(|| import::parse(Format::Xlsx, black_box(&bytes), "CN", zone))
    });
    group.finish();
}

criterion_group!(benches, parsing);

/// Imports the file `RUNS` times into a new list of a fresh database, then once more into the
/// last list (every number updated), printing each run's time and rows/s.
async fn whole_import(name: &str, url: &str, bytes: &[u8]) -> Result<(), String> {
    let store = Store::connect(url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let mut transaction = store.transaction().await.map_err(|e| e.to_string())?;
    let tenant = transaction
        .create_tenant("基准商城", "bench-import", &TenantSettings::default(), 0)
        .await
        .map_err(|e| e.to_string())?;
    transaction.commit().await.map_err(|e| e.to_string())?;
    let actor = Actor::system(&tenant.id);
    let mut list_id = String::new();
    let print = |what: &str, elapsed: Duration, report: &ImportReport| {
        println!(
            "whole_import/{name}/{what}: {ROWS} rows in {:.2} s, {:.0} rows/s \
             (created {}, updated {}, merged {}, failed {})",
            elapsed.as_secs_f64(),
            ROWS as f64 / elapsed.as_secs_f64(),
            report.created,
            report.updated,
            report.merged,
            report.failed
        );
    };
    for run in 1..=RUNS {
        let list = server::contacts::create_list(&store, &actor, &format!("会员 {run}"), 0)
            .await
            .map_err(|e| e.to_string())?;
        list_id = list.id;
        let started = Instant::now();
        let report = import::import(&store, &actor, &list_id, Format::Xlsx, bytes, 0)
            .await
            .map_err(|e| e.to_string())?;
        print(&format!("new_list_run_{run}"), started.elapsed(), &report);
    }
    let started = Instant::now();
    let report = import::import(&store, &actor, &list_id, Format::Xlsx, bytes, 0)
        .await
        .map_err(|e| e.to_string())?;
    print("same_list_again", started.elapsed(), &report);
    store.close().await;
    Ok(())
}

async fn whole_imports() {
    let bytes = workbook(ROWS).expect("the benchmark's workbook");
    println!(
        "whole_import: a {:.1} MB workbook of {ROWS} rows",
        bytes.len() as f64 / 1_048_576.0
    );
    let directory = tempfile::tempdir().expect("a temporary directory");
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        directory.path().join("bench.db").display()
    );
    if let Err(error) = whole_import("sqlite", &sqlite, &bytes).await {
        println!("whole_import/sqlite failed: {error}");
    }
    let server = std::env::var("CALLFLOW_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let database = format!("callflow_bench_import_{}", std::process::id());
    sqlx::any::install_default_drivers();
    let mut admin = match sqlx::AnyConnection::connect(&format!("{server}/postgres")).await {
        Ok(admin) => admin,
        Err(error) => {
            println!("whole_import/postgres skipped: {server} is unreachable ({error})");
            return;
        }
    };
    let create = format!("CREATE DATABASE {database}");
    if let Err(error) = sqlx::query(&create).execute(&mut admin).await {
        println!("whole_import/postgres skipped: {error}");
        return;
    }
    if let Err(error) = whole_import("postgres", &format!("{server}/{database}"), &bytes).await {
        println!("whole_import/postgres failed: {error}");
    }
    let drop = format!("DROP DATABASE {database}");
    if let Err(error) = sqlx::query(&drop).execute(&mut admin).await {
        println!("whole_import/postgres: {database} was not dropped: {error}");
    }
}

fn main() {
    benches();
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    if filter.is_none_or(|filter| filter == "whole_import") {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(whole_imports());
    }
    Criterion::default().configure_from_args().final_summary();
}
