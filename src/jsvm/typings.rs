//! The TypeScript declarations of every hooks global, written to
//! `pb_data/types.d.ts` by `serve` for editors, like PocketBase.
//!
//! `typings/types.d.ts` holds the hand-written part; the lines of the
//! bindings declared once in Rust tables are generated into it at its
//! `// @generated <what>` markers:
//! - `$app hooks` / `global hooks`: from [`HOOKS`](super::bridge::hook_table::HOOKS);
//! - `field interfaces` / `field classes`: from
//!   [`FIELD_CLASSES`](super::bindings::field_table::FIELD_CLASSES).

use std::path::Path;
use std::sync::LazyLock;

use super::bindings::field_table;
use super::bridge::hook_table::{HOOKS, HookSpec};

/// The hand-written declarations, embedded.
const TEMPLATE: &str = include_str!("../../typings/types.d.ts");

static TYPES_D_TS: LazyLock<String> = LazyLock::new(|| generate(TEMPLATE));

/// The whole `types.d.ts`.
pub fn types_d_ts() -> &'static str {
    &TYPES_D_TS
}

fn generate(template: &str) -> String {
    let mut out = String::with_capacity(template.len() + 32 * 1024);
    for line in template.lines() {
        match line.trim().strip_prefix("// @generated ").map(|rest| rest.split(" (").next().unwrap_or(rest)) {
            Some("$app hooks") => HOOKS.iter().for_each(|h| app_hook(&mut out, h)),
            Some("global hooks") => HOOKS.iter().filter(|h| h.is_global()).for_each(|h| global_hook(&mut out, h)),
            Some("field interfaces") => out.push_str(&field_table::core_interfaces_ts()),
            Some("field classes") => out.push_str(&field_table::global_classes_ts()),
            Some(other) => panic!("typings/types.d.ts: unknown generated section {other:?}"),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// `$app.onX()`: a hook object.
fn app_hook(out: &mut String, h: &HookSpec) {
    let params = if h.tagged { "...tags: string[]" } else { "" };
    out.push_str(&format!("  /** {} */\n  {}({params}): Hook<{}>;\n", h.doc.trim(), h.name, h.event));
}

/// The global `onX(handler, ...tags)`.
fn global_hook(out: &mut String, h: &HookSpec) {
    let tags = if h.tagged { ", ...tags: string[]" } else { "" };
    out.push_str(&format!(
        "/** {} */\ndeclare function {}(handler: (e: {}) => void{tags}): void;\n",
        h.doc.trim(),
        h.name,
        h.event
    ));
}

/// Writes `types.d.ts` into the data dir (only when it changed).
pub fn write(data_dir: &Path) -> std::io::Result<()> {
    let path = data_dir.join("types.d.ts");
    let text = types_d_ts();
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hook_is_declared_on_app_and_globally_with_its_doc() {
        let ts = types_d_ts();
        assert!(!ts.contains("// @generated"));
        for h in HOOKS {
            assert!(ts.contains(&format!("  {}(", h.name)), "$app.{}", h.name);
            assert_eq!(ts.contains(&format!("declare function {}(", h.name)), h.is_global(), "{}", h.name);
            assert!(ts.contains(h.doc.trim()), "{}", h.name);
        }
        for c in field_table::FIELD_CLASSES {
            assert!(ts.contains(&format!("  interface {} extends Field {{", c.class)), "core.{}", c.class);
            assert!(ts.contains(&format!("declare class {} implements", c.class)), "{}", c.class);
        }
    }
}
