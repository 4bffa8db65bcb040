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
};
