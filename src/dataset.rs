//! The bundled dataset: the five agendas as reviewable YAML files, and the `import` and
//! `export` that move them in and out of the database.
//!
//! An import is two steps. [`validate`] reads every file and checks everything (formats,
//! vocabularies, dates, duplicate codes, references across files and into the database)
//! and reports every problem at once, each with its file and path. Only a clean set reaches
//! [`apply`], which writes it in one transaction: records are matched on their codes (links
//! on their ends), so importing the same files again changes nothing and an edited file
//! updates records in place, keeping their ids.

pub mod apply;
pub mod export;
pub mod format;
pub mod validate;

use include_dir::{Dir, include_dir};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use std::fmt;
use std::path::PathBuf;

use crate::error::AppError;

pub use apply::ImportReport;
pub use export::export_dir;
pub use validate::Problem;

/// The data files compiled into the binary, so `regiograaf serve` works from any directory.
static BUNDLED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data");

/// Why an import or export did not happen.
#[derive(Debug)]
pub enum DatasetError {
    /// The files have problems; nothing was written.
    Invalid(Vec<Problem>),
    /// A file could not be read or written.
    Io(String),
    /// The database failed; the transaction was rolled back.
    Database(AppError),
}

impl fmt::Display for DatasetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetError::Invalid(problems) => {
                writeln!(
                    f,
                    "{} problem(s) found, nothing was imported:",
                    problems.len()
                )?;
                for problem in problems {
                    writeln!(f, "  {problem}")?;
                }
                Ok(())
            }
            DatasetError::Io(message) => write!(f, "{message}"),
            DatasetError::Database(err) => write!(f, "database error: {}", err.message()),
        }
    }
}

impl From<AppError> for DatasetError {
    fn from(err: AppError) -> Self {
        DatasetError::Database(err)
    }
}

impl From<sea_orm::DbErr> for DatasetError {
    fn from(err: sea_orm::DbErr) -> Self {
        DatasetError::Database(err.into())
    }
}

/// The bundled files as (name, text), in name order: `registry.yaml` first, then the agendas.
pub fn bundled_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect(&BUNDLED, &mut out);
    out.sort_by(|a, b| {
        (!a.0.starts_with("registry"), &a.0).cmp(&(!b.0.starts_with("registry"), &b.0))
    });
    out
}

fn collect(dir: &Dir<'_>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        let name = file.path().to_string_lossy().into_owned();
        if name.ends_with(".yaml")
            && let Some(text) = file.contents_utf8()
        {
            out.push((name, text.to_string()));
        }
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// Loads the bundled agendas when the database holds no agenda yet.
pub async fn seed_if_empty(db: &DatabaseConnection) -> Result<Option<ImportReport>, DatasetError> {
    if entity::agenda::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let report = import_sources(db, bundled_sources(), false, false).await?;
    Ok(Some(report))
}

/// Reads `paths` (files, or directories searched for `*.yaml`) and imports them.
pub async fn import_paths(
    db: &DatabaseConnection,
    paths: &[PathBuf],
    dry_run: bool,
    progress: bool,
) -> Result<ImportReport, DatasetError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)
                .map_err(|e| DatasetError::Io(format!("{}: {e}", path.display())))?;
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut sources = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| DatasetError::Io(format!("{}: {e}", file.display())))?;
        sources.push((file.display().to_string(), text));
    }
    import_sources(db, sources, dry_run, progress).await
}

fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Validates `sources` (name, text) and, when clean, applies them in one transaction.
pub async fn import_sources(
    db: &DatabaseConnection,
    sources: Vec<(String, String)>,
    dry_run: bool,
    progress: bool,
) -> Result<ImportReport, DatasetError> {
    let plan = validate::validate(db, &sources).await?;
    apply::apply(db, &plan, dry_run, progress).await
}
