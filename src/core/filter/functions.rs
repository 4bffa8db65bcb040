//! Filter functions: `geoDistance(lonA, latA, lonB, latB)` (km) and
//! `strftime(format, [time, modifiers…])`. `geoDistance` compiles to a SQL
//! function that `db::functions` registers.

use super::FilterError;
use super::compiler::Compiler;
use super::operand::{NullFallback, Resolved};
use super::parser::Operand;
use crate::db::functions::GEO_DISTANCE_SQL;

/// Most arguments `strftime` accepts (format, time value, 8 modifiers).
const MAX_STRFTIME_ARGS: usize = 10;

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
