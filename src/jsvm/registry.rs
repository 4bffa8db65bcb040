//! What the hook files registered, read from the loader runtime's `__pb`
//! registry: routes, global middlewares, hooks, cron jobs and console
//! commands, each addressed by its index (identical in every runtime of a
//! pool).

use rquickjs::{Array, Ctx, Object};

/// A `routerAdd` registration.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDef {
    pub method: String,
    pub path: String,
}

/// An `on*` hook registration (`name` empty where `unbind` removed one).
#[derive(Debug, Clone, PartialEq)]
pub struct HookDef {
    pub name: String,
    pub tags: Vec<String>,
    /// Lower runs first (`$app.onX().bind({priority, func})`).
    pub priority: i32,
}

/// Everything one load registered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registry {
    pub routes: Vec<RouteDef>,
    /// How many `routerUse` middlewares there are.
    pub middlewares: usize,
    pub hooks: Vec<HookDef>,
    /// `cronAdd` jobs by index (`None` where a later call replaced or removed one).
    pub crons: Vec<Option<CronDef>>,
    /// Names of the `$app.rootCmd.addCommand` commands, by index.
    pub commands: Vec<String>,
}

/// A load-time `cronAdd` registration.
#[derive(Debug, Clone, PartialEq)]
pub struct CronDef {
    pub id: String,
    pub expr: String,
}

impl Registry {
    /// Reads the registry of a loaded context.
    pub fn read(ctx: &Ctx<'_>) -> rquickjs::Result<Registry> {
        let pb: Object = ctx.globals().get("__pb")?;
        let routes: Array = pb.get("routes")?;
        let mut out = Registry::default();
        for r in routes.iter::<Object>() {
            let r = r?;
            out.routes.push(RouteDef { method: r.get("method")?, path: r.get("path")? });
        }
        let mws: Array = pb.get("middlewares")?;
        out.middlewares = mws.len();
        let hooks: Array = pb.get("hooks")?;
        for h in hooks.iter::<Option<Object>>() {
            out.hooks.push(match h? {
                Some(h) => HookDef {
                    name: h.get("name")?,
                    tags: h.get("tags")?,
                    priority: h.get::<_, Option<f64>>("priority")?.unwrap_or(0.0) as i32,
                },
                None => HookDef { name: String::new(), tags: Vec::new(), priority: 0 },
            });
        }
        let crons: Array = pb.get("crons")?;
        for c in crons.iter::<Option<Object>>() {
            out.crons.push(match c? {
                Some(c) => Some(CronDef { id: c.get("id")?, expr: c.get("expr")? }),
                None => None,
            });
        }
        let commands: Array = pb.get("commands")?;
        for c in commands.iter::<Object>() {
            let c = c?;
            let name: rquickjs::Function = c.get("name")?;
            out.commands.push(name.call((rquickjs::function::This(c.clone()),))?);
        }
        Ok(out)
    }
}
