//! Filter functions: `geoDistance(lonA, latA, lonB, latB)` (km) and
//! `strftime(format, [time, modifiers…])`, plus the SQL function that
//! `geoDistance` compiles to (the bundled SQLite has no math functions).

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;

use super::FilterError;
use super::compiler::Compiler;
use super::operand::{NullFallback, Resolved};
use super::parser::Operand;

/// Name of the SQL function behind `geoDistance`.
const GEO_DISTANCE_SQL: &str = "pb_geo_distance";

/// Most arguments `strftime` accepts (format, time value, 8 modifiers).
const MAX_STRFTIME_ARGS: usize = 10;

/// Mean Earth radius used by PocketBase.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// Registers the SQL functions compiled filters may call; run it on every connection.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function(GEO_DISTANCE_SQL, 4, flags, |ctx| {
        let coordinates: Option<Vec<f64>> = (0..4).map(|i| numeric(ctx.get_raw(i))).collect();
        Ok(coordinates.map(|c| distance_km(c[0], c[1], c[2], c[3])))
    })
}

/// A numeric SQL value (numeric text included), like SQLite's math functions read it.
fn numeric(value: ValueRef<'_>) -> Option<f64> {
    match value {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(f) => Some(f),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        ValueRef::Null | ValueRef::Blob(_) => None,
    }
}

/// Great-circle distance with the spherical law of cosines and the cosine
/// clamped to [-1, 1], exactly as PocketBase 0.40 computes it in SQL.
fn distance_km(lon_a: f64, lat_a: f64, lon_b: f64, lat_b: f64) -> f64 {
    let (lat_a, lat_b) = (lat_a.to_radians(), lat_b.to_radians());
    let delta_lon = lon_b.to_radians() - lon_a.to_radians();
    let cosine = lat_a.cos() * lat_b.cos() * delta_lon.cos() + lat_a.sin() * lat_b.sin();
    EARTH_RADIUS_KM * cosine.clamp(-1.0, 1.0).acos()
}

impl Compiler<'_, '_> {
    /// Resolves `name(args…)`.
    pub fn function(&mut self, name: &str, args: &[Operand]) -> Result<Resolved, FilterError> {
        // placeholders count as what they stand for, as in PocketBase
        let args = args
            .iter()
            .map(|arg| match arg {
                Operand::Placeholder(p) => self.expand_placeholder(p),
                other => Ok(other.clone()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        match name {
            "geoDistance" => self.geo_distance(&args),
            "strftime" => self.strftime(&args),
            _ => Err(FilterError(format!("unknown function {name:?}"))),
        }
    }

    fn geo_distance(&mut self, args: &[Operand]) -> Result<Resolved, FilterError> {
        if args.len() != 4 {
            return Err(FilterError(format!("[geoDistance] expected 4 arguments, got {}", args.len())));
        }
        let mut resolved = Resolved::raw("");
        let mut sql_args = Vec::with_capacity(4);
        for (i, arg) in args.iter().enumerate() {
            if !matches!(arg, Operand::Identifier(_) | Operand::Number(_)) {
                return Err(FilterError(format!("[geoDistance] argument {i} must be an identifier or number")));
            }
            let arg = self.operand(arg)?;
            sql_args.push(arg.sql);
            resolved.params.extend(arg.params);
        }
        resolved.sql = format!("{GEO_DISTANCE_SQL}({})", sql_args.join(", "));
        resolved.null_fallback = NullFallback::Disabled;
        Ok(resolved)
    }

    /// SQLite's `strftime`; a multi-valued time value keeps its every-item check.
    fn strftime(&mut self, args: &[Operand]) -> Result<Resolved, FilterError> {
        if args.is_empty() || args.len() > MAX_STRFTIME_ARGS {
            return Err(FilterError(format!(
                "[strftime] expected 1 to {MAX_STRFTIME_ARGS} arguments, got {}",
                args.len()
            )));
        }
        let text_only = |i: usize| i != 1;
        let mut resolved = Resolved::raw("");
        let mut sql_args = Vec::with_capacity(args.len());
        let mut time_value_items = None;
        for (i, arg) in args.iter().enumerate() {
            if text_only(i) && !matches!(arg, Operand::Text(_)) {
                return Err(FilterError(format!("[strftime] argument {i} must be a string")));
            }
            let arg = self.operand(arg)?;
            if i == 1 {
                time_value_items = arg.multi_match;
            }
            sql_args.push(arg.sql);
            resolved.params.extend(arg.params);
        }
        resolved.sql = format!("strftime({})", sql_args.join(", "));
        resolved.null_fallback = NullFallback::Enforced;
        resolved.multi_match = time_value_items.map(|mut items| {
            sql_args[1] = items.value;
            items.value = format!("strftime({})", sql_args.join(", "));
            items
        });
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_distances_in_km() {
        // Sofia → Paris is about 1750 km
        let d = distance_km(23.32, 42.69, 2.35, 48.85);
        assert!((1740.0..1760.0).contains(&d), "{d}");
        assert_eq!(distance_km(23.32, 42.69, 23.32, 42.69), 0.0);
    }

    #[test]
    fn sql_function_reads_numbers_and_propagates_null() {
        let conn = Connection::open_in_memory().expect("in-memory db");
        register(&conn).expect("registers");
        let query = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, Option<f64>>(0)).expect("runs");
        assert_eq!(query("SELECT pb_geo_distance(1, 2, 1, 2)"), Some(0.0));
        assert!(query("SELECT pb_geo_distance('23.32', 42.69, 2.35, 48.85)").is_some());
        assert_eq!(query("SELECT pb_geo_distance(NULL, 1, 2, 3)"), None);
        assert_eq!(query("SELECT pb_geo_distance('x', 1, 2, 3)"), None);
    }
}
