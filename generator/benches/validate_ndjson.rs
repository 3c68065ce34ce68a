//! `fhirgen validate` over a bulk-data NDJSON file of 200 000 US Core 6.1.0
//! resources (the package's examples, over and over), with 1 thread, then 2,
//! up to every core (`--jobs`): time, resources per second, the speed-up
//! over one thread, and the peak memory of the process, which stays bounded
//! by the longest line times the lines in flight, not the file.
//!
//! `cargo bench -p fhirgen --bench validate_ndjson` (a few hundred MB of
//! scratch disk; `VALIDATE_LINES=N` for another count).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let packages = fhirgen::package::packages_folder(root);
    let lines: usize = std::env::var("VALIDATE_LINES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);

    // The examples that are valid, compact, one per line, Bundles as entries.
    let archive = packages.join("hl7.fhir.us.core-6.1.0.tgz");
    let package = fhirgen::package::Package::from_archive(&archive).unwrap();
    let mut examples = Vec::new();
    for entry in package.examples() {
        let value = package.json(&entry.filename).unwrap();
        if value["resourceType"] == "Bundle" {
            for item in value["entry"].as_array().into_iter().flatten() {
                examples.push(item["resource"].to_string());
            }
        } else {
            examples.push(value.to_string());
        }
    }
    let scratch = std::env::temp_dir().join(format!("fhirgen-validate-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let file = scratch.join("bulk.ndjson");
    let mut out = BufWriter::new(std::fs::File::create(&file).unwrap());
    let mut bytes = 0;
    let mut longest = 0;
    for i in 0..lines {
        let line = &examples[i % examples.len()];
        bytes += line.len() + 1;
        longest = longest.max(line.len());
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
    drop(out);

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "fhirgen validate, {lines} NDJSON lines ({:.0} MB, longest line {} kB), {cores} cores:",
        bytes as f64 / 1e6,
        longest / 1000,
    );
    let mut one_thread = None;
    for jobs in 1..=cores.max(2) {
        let (elapsed, peak_kb, summary, valid) = run(&packages, &file, jobs);
        let per_second = lines as f64 / elapsed;
        let speed_up = per_second / *one_thread.get_or_insert(per_second);
        println!(
            "  --jobs {jobs}: {elapsed:.1} s, {:.1} MB/s, {per_second:.0} resources/s ({speed_up:.2}x), \
             peak RSS {:.0} MB ({}; {})",
            bytes as f64 / 1e6 / elapsed,
            peak_kb as f64 / 1024.0,
            if valid { "all valid" } else { "NOT all valid" },
            summary,
        );
    }
    std::fs::remove_dir_all(&scratch).unwrap();
}

/// Runs `fhirgen validate --jobs N` on `file`: seconds, peak resident memory
/// (kB), its summary line, and whether it found everything valid.
fn run(packages: &Path, file: &Path, jobs: usize) -> (f64, u64, String, bool) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fhirgen"))
        .args([
            "validate",
            "--offline",
            "--jobs",
            &jobs.to_string(),
            "--package",
            "hl7.fhir.us.core@6.1.0",
            "--packages",
        ])
        .arg(packages)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Peak resident memory, polled from /proc (Linux) while it runs.
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = hwm
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed().as_secs_f64();
    let mut summary = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        std::io::Read::read_to_string(&mut stderr, &mut summary).unwrap();
    }
    let summary = summary.lines().last().unwrap_or_default().to_owned();
    (elapsed, peak_kb, summary, status.success())
}
