//! The hook files of a hooks dir: every `*.pb.js` / `*.pb.ts` directly in
//! it, read once per (re)load (TypeScript stripped of its types) and
//! evaluated by every runtime in name order.

use std::path::{Path, PathBuf};

use super::error::LoadError;

/// One hook file.
#[derive(Debug, Clone)]
pub struct Script {
    /// Absolute path (used as the file name in stack traces).
    pub path: PathBuf,
    pub source: String,
}

/// The hook files of one load, in evaluation order.
#[derive(Debug, Default, Clone)]
pub struct Scripts {
    /// The absolute hooks dir (`__hooks`).
    pub dir: PathBuf,
    pub files: Vec<Script>,
}

/// Whether a file name is a hook file (PocketBase's `^.*(\.pb\.js|\.pb\.ts)$`).
pub fn is_hook_file(name: &str) -> bool {
    name.ends_with(".pb.js") || name.ends_with(".pb.ts")
}

impl Scripts {
    /// Reads the hook files of `dir`; a missing dir has none.
    pub fn read(dir: &Path) -> Result<Scripts, LoadError> {
        let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let abs = abs.canonicalize().unwrap_or(abs);
        let entries = match std::fs::read_dir(&abs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Scripts { dir: abs, files: Vec::new() });
            }
            Err(source) => {
                return Err(LoadError::Io { path: abs.display().to_string(), source });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(is_hook_file))
            .collect();
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let mut source = std::fs::read_to_string(&path)
                .map_err(|source| LoadError::Io { path: path.display().to_string(), source })?;
            if path.to_string_lossy().ends_with(".pb.ts") {
                source = super::typescript::strip_types(&path.to_string_lossy(), source).map_err(LoadError::Script)?;
            }
            files.push(Script { path, source });
        }
        Ok(Scripts { dir: abs, files })
    }

    /// The source of the file at `path` in this load.
    pub fn source_of(&self, path: &Path) -> Option<&str> {
        self.files.iter().find(|s| s.path == path).map(|s| s.source.as_str())
    }

    /// Evaluates `source` for the file at `path` instead of what it holds now.
    pub fn replace(&mut self, path: &Path, source: String) {
        if let Some(s) = self.files.iter_mut().find(|s| s.path == path) {
            s.source = source;
        }
    }
}

/// A hook file that failed to evaluate (a syntax error, a throw at the top
/// level, an undefined global such as a pre-0.23 hook name).
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptFailure {
    pub path: PathBuf,
    /// `file:line:col: message`.
    pub message: String,
}
