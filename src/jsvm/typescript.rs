//! `.pb.ts` hook files: TypeScript annotations are stripped before QuickJS
//! runs them, with swc's fast type stripper in strip-only mode (the one
//! Node.js uses). Types become spaces, so every line and column stays where
//! it was and runtime errors point into the `.ts` file. Syntax that would
//! need code generation (enums, namespaces, parameter properties) is
//! rejected with the file and line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use swc_common::errors::Handler;
use swc_common::sync::Lrc;
use swc_common::{FilePathMapping, GLOBALS, Globals, SourceMap};
use swc_ts_fast_strip::{Mode, Options, operate};

/// Collects the diagnostics swc writes.
#[derive(Clone, Default)]
struct Diagnostics(Arc<Mutex<Vec<u8>>>);

impl Write for Diagnostics {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JavaScript of a `.pb.ts` file (same length, same line breaks), or
/// the error naming the file, line and column.
pub fn strip_types(file: &str, source: String) -> Result<String, String> {
    let cm: Lrc<SourceMap> = Lrc::new(SourceMap::new(FilePathMapping::empty()));
    let diagnostics = Diagnostics::default();
    let handler = Handler::with_emitter_writer(Box::new(diagnostics.clone()), Some(cm.clone()));
    let module = super::require::is_es_module(&source);
    let options =
        Options { filename: Some(file.to_string()), module: Some(module), mode: Mode::StripOnly, ..Default::default() };
    let out = GLOBALS.set(&Globals::new(), || operate(&cm, &handler, source, options));
    out.map(|o| o.code).map_err(|e| {
        let text = diagnostics.0.lock().map(|d| String::from_utf8_lossy(&d).into_owned()).unwrap_or_default();
        let text = text.trim();
        if text.is_empty() { format!("{file}: {e}") } else { format!("{file}: {e}\n{text}") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_blanked_in_place() {
        let src =
            "const n: number = 1;\nfunction f(a: string): void {}\ninterface X { a: number }\nlet y = n as any;\n";
        let js = strip_types("x.pb.ts", src.to_string()).expect("strips");
        assert_eq!(js.len(), src.len());
        assert_eq!(js.lines().count(), src.lines().count());
        assert!(js.starts_with("const n         = 1;"), "{js}");
        let err = strip_types("bad.pb.ts", "enum E { A }\n".into()).expect_err("enums need codegen");
        assert!(err.contains("bad.pb.ts"), "{err}");
    }
}
