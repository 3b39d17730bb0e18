//! Keeps the docs page "Reading shape errors" (`src/docs/shape_errors.md`) in step with the
//! compile-fail snapshots in `tests/ui/`: the page's cases are generated from them.
//! Regenerate with `BLESS=1 cargo test --test shape_errors_page`.

use std::fs;
use std::path::Path;

const PAGE: &str = "src/docs/shape_errors.md";
const MARKER: &str =
    "<!-- The cases below are generated from tests/ui by tests/shape_errors_page.rs. -->";

/// The error's headline block: the `error[...]` line, where it points and its label, without
/// the `help:` and `note:` lines that follow.
fn headline(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .take_while(|l| {
            let t = l.trim_start();
            !(t.is_empty()
                || t.starts_with("= ")
                || t.starts_with("help:")
                || t.starts_with("note:"))
        })
        .collect();
    let end = lines
        .iter()
        .rposition(|l| l.trim() != "|")
        .map_or(0, |i| i + 1);
    lines[..end].join("\n")
}

fn cases() -> String {
    let mut files: Vec<_> = fs::read_dir("tests/ui")
        .expect("tests/ui exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut out = String::new();
    for rs in files {
        let name = rs.file_stem().unwrap().to_string_lossy().replace('_', " ");
        let code = fs::read_to_string(&rs).unwrap();
        let stderr = fs::read_to_string(rs.with_extension("stderr"))
            .unwrap_or_else(|_| panic!("{} has no .stderr snapshot", rs.display()));
        let mut title = name.clone();
        title[..1].make_ascii_uppercase();
        out.push_str(&format!(
            "\n### {title}\n\n```rust,compile_fail\n{}\n```\n\n```text\n{}\n```\n",
            code.trim_end(),
            headline(&stderr)
        ));
    }
    out
}

#[test]
fn the_page_shows_every_snapshot() {
    let page = fs::read_to_string(PAGE).expect("the docs page exists");
    let (intro, _) = page
        .split_once(MARKER)
        .expect("the page has the marker line");
    let fresh = format!("{intro}{MARKER}\n{}", cases());
    if std::env::var_os("BLESS").is_some() {
        fs::write(Path::new(PAGE), &fresh).unwrap();
        return;
    }
    assert!(
        page == fresh,
        "{PAGE} is out of date with tests/ui: run BLESS=1 cargo test --test shape_errors_page"
    );
}
