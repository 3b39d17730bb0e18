//! Numeric tables in CSV: a header line of column names (optionally quoted), then one row of
//! numbers per line, such as the yearly sunspot series (`"YEAR","SUNACTIVITY"`, then
//! `1700,5`). Every malformed line is an error naming its line number and what is wrong; lines
//! are bounded in length and the file in size, so a bad input cannot exhaust memory.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The longest line accepted, in bytes.
pub const MAX_LINE: usize = 64 * 1024;
/// The most rows accepted.
pub const MAX_ROWS: usize = 10_000_000;

/// A table of numbers with named columns.
///
/// ```
/// let t = backprop::data::parse_table("\"YEAR\",\"VALUE\"\n1700,5\n1701,11.5\n".as_bytes(), "memory")?;
/// assert_eq!(t.columns, vec!["YEAR", "VALUE"]);
/// assert_eq!(t.column(1), vec![5.0, 11.5]);
/// # Ok::<(), backprop::data::CsvError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The column names, unquoted.
    pub columns: Vec<String>,
    /// The rows, each with one number per column.
    pub rows: Vec<Vec<f64>>,
}

impl Table {
    /// Column `i` as a vector.
    ///
    /// ```
    /// let t = backprop::data::parse_table("a,b\n1,2\n3,4\n".as_bytes(), "memory")?;
    /// assert_eq!(t.column(0), vec![1.0, 3.0]);
    /// # Ok::<(), backprop::data::CsvError>(())
    /// ```
    pub fn column(&self, i: usize) -> Vec<f64> {
        self.rows.iter().map(|r| r[i]).collect()
    }
}

/// What went wrong reading a CSV table.
///
/// ```
/// let err = backprop::data::parse_table("a,b\n1,2\n3,x\n".as_bytes(), "t.csv").unwrap_err();
/// assert_eq!(err.to_string(), "t.csv:3: field 2 (\"x\") is not a number");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CsvError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file has no header line.
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A line is malformed.
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            CsvError::Empty { path } => write!(f, "{}: empty (no header line)", path.display()),
            CsvError::Malformed { path, line, reason } => {
                write!(f, "{}:{line}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for CsvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CsvError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads a numeric table from a file.
///
/// ```no_run
/// let t = backprop::data::read_table("../shared/data/sunspots/sunspots.csv")?;
/// assert_eq!(t.columns, vec!["YEAR", "SUNACTIVITY"]);
/// # Ok::<(), backprop::data::CsvError>(())
/// ```
pub fn read_table(path: impl AsRef<Path>) -> Result<Table, CsvError> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_table(file, path)
}

/// Reads a numeric table from any reader; `name` only names the source in errors. Blank lines
/// (and a last line without a newline) are fine; `\r\n` line ends too.
///
/// ```
/// let err = backprop::data::parse_table("a,b\n1,2,3\n".as_bytes(), "t.csv").unwrap_err();
/// assert_eq!(err.to_string(), "t.csv:2: expected 2 fields, found 3");
/// ```
pub fn parse_table(reader: impl Read, name: impl AsRef<Path>) -> Result<Table, CsvError> {
    let path = name.as_ref();
    let malformed = |line: usize, reason: String| CsvError::Malformed {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut input = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        // One more byte than a line may hold, so an over-long line is seen, never read whole.
        let n = (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| CsvError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            break;
        }
        number += 1;
        if buf.len() > MAX_LINE {
            return Err(malformed(
                number,
                format!("line longer than {MAX_LINE} bytes"),
            ));
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|_| malformed(number, "not UTF-8".to_string()))?
            .trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        match &columns {
            None => {
                let names = fields
                    .iter()
                    .map(|f| f.trim_matches('"').to_string())
                    .collect();
                columns = Some(names);
            }
            Some(names) => {
                if fields.len() != names.len() {
                    return Err(malformed(
                        number,
                        format!("expected {} fields, found {}", names.len(), fields.len()),
                    ));
                }
                let row = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        f.parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite())
                            .ok_or_else(|| {
                                malformed(
                                    number,
                                    format!("field {} ({f:?}) is not a number", i + 1),
                                )
                            })
                    })
                    .collect::<Result<Vec<f64>, _>>()?;
                if rows.len() == MAX_ROWS {
                    return Err(malformed(number, format!("more than {MAX_ROWS} rows")));
                }
                rows.push(row);
            }
        }
    }
    let columns = columns.ok_or_else(|| CsvError::Empty {
        path: path.to_path_buf(),
    })?;
    Ok(Table { columns, rows })
}
