//! Knowledge-base search at 10,000 entries; figures in BENCHMARKS.md ("Knowledge-base
//! retrieval").
//!
//! `cargo bench -p flow-engine --bench knowledge`
//!
//! Entries and questions are real customer-service questions from the ATEC pairs in
//! `../shared/datasets` (each entry: one side of a pair as the question, the other side as its
//! answer; questions: sentences of later pairs, none of them an entry). Without the dataset the
//! benchmark prints a notice and measures nothing. Before criterion's figures it prints the
//! search latency distribution (mean, p50, p99, max over every question three times), which
//! criterion does not report, twice: in wall time, and in the thread's CPU time, which leaves
//! out the time the thread waited for a core (on a shared machine, most of the tail).

use std::collections::HashSet;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use flow_engine::knowledge::{KnowledgeEntry, KnowledgeIndex};

const ENTRIES: usize = 10_000;
const QUESTIONS: usize = 1_000;

fn atec() -> Option<(Vec<KnowledgeEntry>, Vec<String>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/datasets/atec-question-matching-zh/atec_nlp_sim_train.tsv");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!(
                "notice: knowledge benchmark skipped, {}: {e}",
                path.display()
            );
            return None;
        }
    };
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    let mut questions = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 || !seen.insert(f[1].to_owned()) {
            continue;
        }
        if entries.len() < ENTRIES {
            entries.push(KnowledgeEntry {
                id: format!("kbe_{}", entries.len()),
                question: f[1].to_owned(),
                alternatives: vec![],
                answer: f[2].to_owned(),
                category: String::new(),
            });
        } else if questions.len() < QUESTIONS {
            questions.push(f[1].to_owned());
        } else {
            break;
        }
    }
    (entries.len() == ENTRIES && questions.len() == QUESTIONS).then_some((entries, questions))
}

fn bench_knowledge(c: &mut Criterion) {
    let Some((entries, questions)) = atec() else {
        return;
    };

    let started = Instant::now();
    let index = KnowledgeIndex::new(1, entries.clone());
    println!(
        "knowledge: index build, {ENTRIES} entries: {:?} (one run)",
        started.elapsed()
    );

    // Warm the segmenter's and the lists' one-time loading before timing single searches.
    index.search(&questions[0], 5);
    let mut wall: Vec<Duration> = Vec::with_capacity(3 * QUESTIONS);
    let mut cpu: Vec<Duration> = Vec::with_capacity(3 * QUESTIONS);
    for _ in 0..3 {
        for q in &questions {
            let (started, started_cpu) = (Instant::now(), thread_cpu_time());
            black_box(index.search(black_box(q), 5));
            cpu.push(thread_cpu_time().saturating_sub(started_cpu));
            wall.push(started.elapsed());
        }
    }
    for (clock, mut times) in [("wall", wall), ("thread CPU", cpu)] {
        times.sort_unstable();
        let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        println!(
            "knowledge: search, {ENTRIES} entries, {} searches, {clock} time: mean {mean:?}, p50 {:?}, p99 {:?}, max {:?}",
            times.len(),
            at(0.50),
            at(0.99),
            times[times.len() - 1]
        );
    }

    let mut group = c.benchmark_group("knowledge");
    let mut next = questions.iter().cycle();
    group.bench_function("search_10000_entries", |b| {
        b.iter(|| index.search(black_box(next.next().map_or("", String::as_str)), 5))
    });
    group.sample_size(10);
    group.bench_function("build_10000_entries", |b| {
        b.iter(|| KnowledgeIndex::new(1, black_box(entries.clone())))
    });
    group.finish();
}

/// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux supports.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

criterion_group!(benches, bench_knowledge);
criterion_main!(benches);
