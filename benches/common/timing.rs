//! A small timing harness for the `harness = false` benches: every case of a
//! group runs once per round, round-robin, so a baseline and the paths compared
//! with it share the machine's noise; figures are medians over the rounds and each
//! ratio is the median of the per-round ratios (paired within one round).

#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One measured thing: a closure returning a count (records, events) so the
/// work cannot be optimised away and so the cases can be cross-checked.
pub struct Case<'a> {
    /// Row label.
    pub name: String,
    /// The run.
    pub run: Box<dyn FnMut() -> usize + 'a>,
}

impl<'a> Case<'a> {
    /// A case named `name`.
    pub fn new(name: impl Into<String>, run: impl FnMut() -> usize + 'a) -> Self {
        Case {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// The medians of one case.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Row label.
    pub name: String,
    /// Median time of one run.
    pub median: Duration,
    /// What the last run returned.
    pub count: usize,
    /// Every run's time, in round order.
    pub times: Vec<Duration>,
}

/// Rounds to run, from `BENCH_ROUNDS` (default `default`).
pub fn rounds(default: usize) -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(default)
}

/// Runs every case `warmup` times, then `rounds` rounds of one run each.
pub fn run(cases: &mut [Case<'_>], warmup: usize, rounds: usize) -> Vec<Measured> {
    let mut counts = vec![0; cases.len()];
    for _ in 0..warmup {
        for (c, n) in cases.iter_mut().zip(&mut counts) {
            *n = black_box((c.run)());
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); cases.len()];
    for _ in 0..rounds {
        for ((c, t), n) in cases.iter_mut().zip(&mut times).zip(&mut counts) {
            let start = Instant::now();
            *n = black_box((c.run)());
            t.push(start.elapsed());
        }
    }
    cases
        .iter()
        .zip(times)
        .zip(counts)
        .map(|((c, times), count)| Measured {
            name: c.name.clone(),
            median: median(&times),
            count,
            times,
        })
        .collect()
}

/// The median of some durations.
pub fn median(times: &[Duration]) -> Duration {
    let mut v = times.to_vec();
    v.sort();
    match v.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

/// The median of floats.
pub fn median_f64(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The median over rounds of `case / base` (paired within each round).
pub fn paired_ratio(case: &Measured, base: &Measured) -> f64 {
    let r: Vec<f64> = case
        .times
        .iter()
        .zip(&base.times)
        .map(|(c, b)| c.as_secs_f64() / b.as_secs_f64())
        .collect();
    median_f64(&r)
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// The peak resident set size of this process (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The machine line for reports: cores and CPU model.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    format!("{cores} cores, {model}")
}

/// Profiling mode (`BENCH_PROFILE=<case name>`): runs each matching
/// case `BENCH_PROFILE_ITERS` times (default 10) inside [`profile_target`], for
/// `valgrind --tool=callgrind --toggle-collect=*profile_target*`. Returns true
/// when the mode is on (the caller then skips its report).
pub fn profile(cases: &mut [Case<'_>]) -> bool {
    let Ok(filter) = std::env::var("BENCH_PROFILE") else {
        return false;
    };
    let iters = std::env::var("BENCH_PROFILE_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    for c in cases.iter_mut().filter(|c| c.name == filter) {
        // one untimed run first, so one-time setup is not counted
        black_box((c.run)());
        let n = profile_target(&mut c.run, iters);
        eprintln!("profiled {:?}: {iters} runs, {n} items", c.name);
    }
    true
}

/// The function callgrind collects inside in profiling mode.
#[inline(never)]
pub fn profile_target(run: &mut Box<dyn FnMut() -> usize + '_>, iters: usize) -> usize {
    let mut n = 0;
    for _ in 0..iters {
        n += black_box(run());
    }
    n
}
