//! SQL functions that compiled filters call and the bundled SQLite lacks:
//! `pb_geo_distance` behind the filter language's `geoDistance`.
//! Registered on every connection by [`super::Db`].

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;

/// Name of the SQL function behind `geoDistance(lonA, latA, lonB, latB)`.
pub const GEO_DISTANCE_SQL: &str = "pb_geo_distance";

/// Mean Earth radius used by PocketBase.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// Registers the functions on a connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
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
