//! CommonJS `require()` (QuickJS has none): paths resolve against the
//! requiring module's directory, the hooks dir for the hook files
//! themselves, so `require(`${__hooks}/utils.js`)` and `require("./utils.js")`
//! give the same cached module. Modules are compiled with their real file
//! name so stack traces point into them.

use std::path::{Path, PathBuf};

use rquickjs::context::EvalOptions;
use rquickjs::{Ctx, Exception, Function, Object, Value};

use super::bindings::{convert, state};

/// The global `require`, relative to the hooks dir.
pub fn require_from_hooks<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    let base = state(&ctx)?.hooks_dir.clone();
    require(&ctx, &base, &name)
}

fn require_in<'js>(dir: PathBuf) -> impl Fn(Ctx<'js>, String) -> rquickjs::Result<Value<'js>> {
    move |ctx: Ctx<'js>, name: String| require(&ctx, &dir, &name)
}

/// The file a module name refers to, trying `.js`, `.json` and `index.js`.
fn resolve(base: &Path, hooks_dir: &Path, name: &str) -> Option<PathBuf> {
    let roots: Vec<PathBuf> = if Path::new(name).is_absolute() {
        vec![PathBuf::from(name)]
    } else if name.starts_with("./") || name.starts_with("../") {
        vec![base.join(name)]
    } else {
        vec![hooks_dir.join("node_modules").join(name), hooks_dir.join(name)]
    };
    roots.into_iter().find_map(|p| {
        [p.clone(), p.with_extension("js"), p.with_extension("json"), p.join("index.js")]
            .into_iter()
            .find(|c| c.is_file())
            .map(|c| c.canonicalize().unwrap_or(c))
    })
}

fn require<'js>(ctx: &Ctx<'js>, base: &Path, name: &str) -> rquickjs::Result<Value<'js>> {
    let hooks_dir = state(ctx)?.hooks_dir.clone();
    let Some(path) = resolve(base, &hooks_dir, name) else {
        return Err(Exception::throw_message(ctx, &format!("Cannot find module '{name}'")));
    };
    let key = path.to_string_lossy().into_owned();
    let pb: Object = ctx.globals().get("__pb")?;
    let cache: Object = pb.get("modules")?;
    if let Some(module) = cache.get::<_, Option<Object>>(key.as_str())? {
        return module.get("exports");
    }
    let source = std::fs::read_to_string(&path)
        .map_err(|e| Exception::throw_message(ctx, &format!("Cannot read module '{key}': {e}")))?;
    let module = Object::new(ctx.clone())?;
    module.set("id", key.as_str())?;
    module.set("exports", Object::new(ctx.clone())?)?;
    // cached before running so require cycles see the partial exports
    cache.set(key.as_str(), module.clone())?;
    let loaded = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str::<serde_json::Value>(&source)
            .map_err(|e| Exception::throw_syntax(ctx, &format!("{key}: {e}")))
            .and_then(|j| convert::to_js(ctx, &j))
            .and_then(|v| module.set("exports", v))
    } else {
        run_module(ctx, &path, &key, &source, &module)
    };
    if let Err(e) = loaded {
        let _ = cache.remove(key.as_str());
        return Err(e);
    }
    module.get("exports")
}

fn run_module<'js>(ctx: &Ctx<'js>, path: &Path, key: &str, source: &str, module: &Object<'js>) -> rquickjs::Result<()> {
    // the wrapper opens on the first line so line numbers stay the file's
    let wrapped = format!("(function (exports, require, module, __filename, __dirname) {{{source}\n}})");
    let mut opts = EvalOptions::default();
    opts.strict = false;
    opts.filename = Some(key.to_string());
    let f: Function = ctx.eval_with_options(wrapped, opts)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let local_require = Function::new(ctx.clone(), require_in(dir.clone()))?;
    let exports: Value = module.get("exports")?;
    f.call::<_, Value>((exports, local_require, module.clone(), key, dir.to_string_lossy().into_owned()))?;
    Ok(())
}
