//! The TypeScript declarations of every hooks global (`typings/types.d.ts`),
//! written to `pb_data/types.d.ts` by `serve` for editors, like PocketBase.

use std::path::Path;

/// The declarations, embedded.
pub const TYPES_D_TS: &str = include_str!("../../typings/types.d.ts");

/// Writes `types.d.ts` into the data dir (only when it changed).
pub fn write(data_dir: &Path) -> std::io::Result<()> {
    let path = data_dir.join("types.d.ts");
    if std::fs::read_to_string(&path).is_ok_and(|old| old == TYPES_D_TS) {
        return Ok(());
    }
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(path, TYPES_D_TS)
}
