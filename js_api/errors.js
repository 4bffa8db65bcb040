// API error classes. A thrown instance becomes PocketBase's error JSON with
// its status; messages are sentence-cased with a trailing period and data
// entries that are not validation errors become `validation_invalid_value`,
// both at construction like PocketBase.

__pb.normalizeMessage = function (msg) {
  const s = String(msg == null ? "" : msg).trim();
  if (s === "") {
    return "";
  }
  let out = s.charAt(0).toUpperCase() + s.slice(1);
  if (!/[.!?]$/.test(out)) {
    out += ".";
  }
  return out;
};

__pb.sanitizeErrorData = function (data) {
  const out = {};
  if (data == null || typeof data !== "object" || Array.isArray(data)) {
    return out;
  }
  for (const key of Object.keys(data)) {
    const v = data[key];
    const ok = v != null && typeof v === "object" &&
      typeof v.code === "string" && typeof v.message === "string";
    out[key] = ok ? { code: v.code, message: v.message }
      : { code: "validation_invalid_value", message: "Invalid value." };
  }
  return out;
};

const __pbGenericError = "Something went wrong while processing your request.";

class ApiError {
  constructor(status, message, data) {
    this.status = Number(status) || 0;
    this.message = __pb.normalizeMessage(message) || __pbGenericError;
    this.data = __pb.sanitizeErrorData(data);
    Object.defineProperty(this, "rawData", { value: data, enumerable: false, writable: true });
    Object.defineProperty(this, "stack", { value: new Error(this.message).stack, enumerable: false, writable: true });
  }
  error() {
    return this.message;
  }
  toString() {
    return this.message;
  }
}

class BadRequestError extends ApiError {
  constructor(message, data) {
    super(400, message || __pbGenericError, data);
  }
}

class NotFoundError extends ApiError {
  constructor(message, data) {
    super(404, message || "The requested resource wasn't found.", data);
  }
}

class ForbiddenError extends ApiError {
  constructor(message, data) {
    super(403, message || "You are not allowed to perform this request.", data);
  }
}

class UnauthorizedError extends ApiError {
  constructor(message, data) {
    super(401, message || "Missing or invalid authentication.", data);
  }
}

class TooManyRequestsError extends ApiError {
  constructor(message, data) {
    super(429, message || "Too Many Requests.", data);
  }
}

class InternalServerError extends ApiError {
  constructor(message, data) {
    super(500, message || __pbGenericError, data);
  }
}

class ValidationError {
  constructor(code, message) {
    this.code = String(code == null ? "" : code);
    this.message = String(message == null ? "" : message);
  }
  error() {
    return this.message;
  }
  toString() {
    return this.message;
  }
}

// class declarations are not properties of the global object; the Rust side
// looks these up there
Object.assign(globalThis, {
  ApiError, BadRequestError, NotFoundError, ForbiddenError, UnauthorizedError,
  TooManyRequestsError, InternalServerError, ValidationError,
});
