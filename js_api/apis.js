// `$apis`: the route middlewares PocketBase ships (auth guards, body limit)
// written against the request event.

var $apis = {
  requireAuth(...collections) {
    return new Middleware(function (e) {
      if (!e.auth) {
        throw new UnauthorizedError("The request requires valid record authorization token.");
      }
      if (collections.length && !collections.includes(e.auth.collection().name)) {
        throw new ForbiddenError("The authorized record is not allowed to perform this action.");
      }
      return e.next();
    }, 0, "pbRequireAuth");
  },
  requireSuperuserAuth() {
    return new Middleware(function (e) {
      if (!e.auth) {
        throw new UnauthorizedError("The request requires valid record authorization token.");
      }
      if (!e.auth.isSuperuser()) {
        throw new ForbiddenError("The authorized record is not allowed to perform this action.");
      }
      return e.next();
    }, 0, "pbRequireSuperuserAuth");
  },
  requireSuperuserOrOwnerAuth(ownerIdPathParam) {
    const param = ownerIdPathParam || "id";
    return new Middleware(function (e) {
      if (!e.auth) {
        throw new UnauthorizedError("The request requires superuser or record authorization token.");
      }
      if (e.auth.isSuperuser()) {
        return e.next();
      }
      const ownerId = e.request.pathValue(param);
      if (!ownerId || e.auth.id !== ownerId) {
        throw new ForbiddenError("You are not allowed to perform this request.");
      }
      return e.next();
    }, 0, "pbRequireSuperuserOrOwnerAuth");
  },
  requireGuestOnly() {
    return new Middleware(function (e) {
      if (e.auth) {
        throw new BadRequestError("The request can be accessed only by guests.");
      }
      return e.next();
    }, 0, "pbRequireGuestOnly");
  },
  bodyLimit(limitBytes) {
    return new Middleware(function (e) {
      if (e.__native.bodySize() > limitBytes) {
        throw new ApiError(413, "Request entity too large");
      }
      return e.next();
    }, 0, "pbBodyLimit");
  },
  // Responses are not compressed yet: gzip() is a documented passthrough.
  gzip() {
    return new Middleware((e) => e.next(), 0, "pbGzip");
  },
  skipSuccessActivityLog() {
    return new Middleware((e) => e.next(), 0, "pbSkipSuccessActivityLog");
  },
  // Serves files of `dir` for a route with a `{path...}` param.
  static(dir, indexFallback) {
    const root = String(dir);
    const types = {
      html: "text/html; charset=utf-8", css: "text/css; charset=utf-8", js: "text/javascript; charset=utf-8",
      json: "application/json", svg: "image/svg+xml", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
      gif: "image/gif", webp: "image/webp", ico: "image/x-icon", txt: "text/plain; charset=utf-8", wasm: "application/wasm",
    };
    const send = (e, file) => {
      const ext = $filepath.ext(file).slice(1).toLowerCase();
      return e.blob(200, types[ext] || "application/octet-stream", $os.readFile(file));
    };
    return function (e) {
      const rel = $filepath.clean("/" + e.request.pathValue("path")).slice(1);
      let file = $filepath.join(root, rel);
      try {
        if ($os.stat(file).isDir()) file = $filepath.join(file, "index.html");
        return send(e, file);
      } catch (_) {
        if (indexFallback) {
          try {
            return send(e, $filepath.join(root, "index.html"));
          } catch (_) { /* no index either */ }
        }
        throw new NotFoundError();
      }
    };
  },
  // Expansion and per-requester visibility of records from JS routes are
  // not available yet: these leave the records as they are.
  enrichRecord(e, record, ...expands) {},
  enrichRecords(e, records, ...expands) {},
  recordAuthResponse(e, authRecord, authMethod, meta) {
    throw __pb.notAvailable("$apis.recordAuthResponse");
  },
};
