//! The migrations dir: which files are migrations (PocketBase's loader
//! takes every `*.js` / `*.ts`), their order (by name) and the names of
//! new files (`<unix seconds>_<snake_name>.js`).

use std::path::{Path, PathBuf};

use super::MigrateError;
use crate::jsvm::migrations::MigrationScript;

/// Whether PocketBase's loader would take this file (`^.*(\.js|\.ts)$`);
/// TypeScript declaration files never are migrations.
pub fn is_migration_file(name: &str) -> bool {
    (name.ends_with(".js") || name.ends_with(".ts")) && !name.ends_with(".d.ts")
}

/// Whether the name follows the `<unixtime>_<name>` convention that keeps
/// migrations in creation order.
pub fn has_conventional_name(name: &str) -> bool {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && name.as_bytes().get(digits) == Some(&b'_') && name.len() > digits + 1 + 3
}

/// Names that look like a migration but are not loaded (wrong extension case,
/// modules), worth a warning.
fn looks_like_a_missed_migration(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !is_migration_file(name)
        && !lower.ends_with(".d.ts")
        && [".js", ".ts", ".mjs", ".cjs", ".mts"].iter().any(|e| lower.ends_with(e))
}

/// The migration files of `dir` in name order (none when it does not
/// exist). Names off the convention are loaded anyway, like PocketBase
/// does, with a warning; files with a near-miss extension are skipped with
/// a warning.
pub fn read_dir(dir: &Path) -> Result<Vec<MigrationScript>, MigrateError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(MigrateError::Io { path: dir.display().to_string(), source }),
    };
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if is_migration_file(&name) {
            if !has_conventional_name(&name) {
                tracing::warn!(
                    "migration file {name:?} does not follow the <unixtime>_<name>.js naming: it runs in name order among the others"
                );
            }
            found.push((name, entry.path()));
        } else if looks_like_a_missed_migration(&name) {
            tracing::warn!("{name:?} in the migrations dir is ignored: only .js (and .ts) files are migrations");
        }
    }
    found.sort();
    let mut out = Vec::with_capacity(found.len());
    for (name, path) in found {
        let source = std::fs::read_to_string(&path)
            .map_err(|source| MigrateError::Io { path: path.display().to_string(), source })?;
        let path = clean_path(&std::path::absolute(&path).unwrap_or(path));
        out.push(MigrationScript { name, path, source });
    }
    Ok(out)
}

/// The names of the migration files in `dir` (no sources read).
pub fn names(dir: &Path) -> Result<Vec<String>, MigrateError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(MigrateError::Io { path: dir.display().to_string(), source }),
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| is_migration_file(n))
        .collect();
    out.sort();
    Ok(out)
}

/// PocketBase's snake case for file names: ASCII letters and digits form
/// words (a capital after a lower-case letter or digit starts a new one),
/// anything else separates them; lower-cased and joined with `_`.
pub fn snake_case(s: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower_or_digit = false;
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower_or_digit = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower_or_digit && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
        prev_lower_or_digit = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.join("_")
}

/// `<unix>_<name>.js`.
pub fn file_name(unix: i64, name: &str) -> String {
    format!("{unix}_{name}.js")
}

/// Removes `.` and `a/..` parts without touching the file system (the dir
/// may not exist yet), so messages show `pb_migrations/…`, not
/// `pb_data/../pb_migrations/…`.
pub fn clean_path(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_matches_pocketbase() {
        assert_eq!(snake_case("add stuff"), "add_stuff");
        assert_eq!(snake_case("AddStuff Now-x.y"), "add_stuff_now_x_y");
        assert_eq!(snake_case("ünï cödé!"), "n_c_d");
        assert_eq!(snake_case("posts2Tags"), "posts2_tags");
    }

    #[test]
    fn which_files_are_migrations() {
        assert!(is_migration_file("1700000000_a.js"));
        assert!(is_migration_file("1700000000_a.ts"));
        assert!(!is_migration_file("types.d.ts"));
        assert!(!is_migration_file("1700000000_a.mjs"));
        assert!(has_conventional_name("1700000000_create_posts.js"));
        assert!(!has_conventional_name("create_posts.js"));
        assert!(!has_conventional_name("1700000000.js"));
        assert!(looks_like_a_missed_migration("1700000000_a.JS"));
        assert!(looks_like_a_missed_migration("1700000000_a.mjs"));
        assert!(!looks_like_a_missed_migration("types.d.ts"));
    }

    #[test]
    fn paths_are_cleaned_lexically() {
        assert_eq!(clean_path(Path::new("pb_data/../pb_migrations")), PathBuf::from("pb_migrations"));
        assert_eq!(clean_path(Path::new("./pb_data/../pb_migrations")), PathBuf::from("pb_migrations"));
        assert_eq!(clean_path(Path::new("/tmp/x/pb_data/../m")), PathBuf::from("/tmp/x/m"));
        assert_eq!(clean_path(Path::new("../a/./b")), PathBuf::from("../a/b"));
    }
}
