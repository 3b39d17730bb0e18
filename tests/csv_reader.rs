//! The CSV reader: the real sunspot file when present, and every kind of malformed input.
#![cfg(feature = "data")]

use backprop::data::{parse_table, read_table, CsvError, MAX_LINE};

fn err(text: &str) -> String {
    parse_table(text.as_bytes(), "t.csv")
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_lines_are_errors_naming_the_line() {
    assert_eq!(err(""), "t.csv: empty (no header line)");
    assert_eq!(err("a,b\n1\n"), "t.csv:2: expected 2 fields, found 1");
    assert_eq!(
        err("a,b\n1,2\n\n3,4,5\n"),
        "t.csv:4: expected 2 fields, found 3"
    );
    assert_eq!(
        err("a,b\n1,nan\n"),
        "t.csv:2: field 2 (\"nan\") is not a number"
    );
    assert_eq!(
        err("a,b\n1,inf\n"),
        "t.csv:2: field 2 (\"inf\") is not a number"
    );
    assert_eq!(err("a,b\n1,\n"), "t.csv:2: field 2 (\"\") is not a number");
    assert!(matches!(
        parse_table(&b"a,b\n1,\xff\n"[..], "t.csv").unwrap_err(),
        CsvError::Malformed { line: 2, .. }
    ));
    // An over-long line is refused without being read whole.
    let long = format!("a,b\n1,{}\n", "1".repeat(MAX_LINE + 10));
    assert!(err(&long).contains("longer than"), "{}", err(&long));
    // Good input: quotes, CRLF, blank lines, no final newline.
    let t = parse_table("\"x\",\"y\"\r\n1,2\r\n\r\n3,4.5".as_bytes(), "t.csv").unwrap();
    assert_eq!(t.columns, vec!["x", "y"]);
    assert_eq!(t.rows, vec![vec![1.0, 2.0], vec![3.0, 4.5]]);
    assert!(matches!(
        read_table("no/such/file.csv").unwrap_err(),
        CsvError::Io { .. }
    ));
}

#[test]
fn reads_the_sunspot_series_when_present() {
    let path = "../shared/data/sunspots/sunspots.csv";
    if !std::path::Path::new(path).exists() {
        eprintln!("skipped: {path} not found");
        return;
    }
    let t = read_table(path).unwrap();
    assert_eq!(t.columns, vec!["YEAR", "SUNACTIVITY"]);
    assert_eq!(t.rows.len(), 309);
    assert_eq!(t.rows[0], vec![1700.0, 5.0]);
    assert_eq!(t.rows[308], vec![2008.0, 2.9]);
    let years = t.column(0);
    assert!(years.windows(2).all(|w| w[1] == w[0] + 1.0));
}
