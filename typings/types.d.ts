// Ferrobase JS hooks API: the globals of pb_hooks/*.pb.js (and *.pb.ts).
// Written for Ferrobase; names and shapes follow PocketBase 0.40's JSVM so
// hook files written for PocketBase type-check unchanged. `serve` copies
// this file to pb_data/types.d.ts; start a hook file with
//   /// <reference path="../pb_data/types.d.ts" />
// Members marked "not available yet" exist but throw until Ferrobase has
// the subsystem (mailer, file storage, backups).

/** Key/value JSON-like data. */
type JsonMap = { [key: string]: any };

declare namespace core {
  /** A record of a collection. */
  interface Record {
    id: string;
    get(key: string): any;
    set(key: string, value: any): void;
    load(data: JsonMap): void;
    getString(key: string): string;
    getInt(key: string): number;
    getFloat(key: string): number;
    getBool(key: string): boolean;
    email(): string;
    setEmail(email: string): void;
    verified(): boolean;
    setVerified(verified: boolean): void;
    emailVisibility(): boolean;
    setEmailVisibility(visible: boolean): void;
    tokenKey(): string;
    refreshTokenKey(): void;
    setPassword(password: string): void;
    validatePassword(password: string): boolean;
    isNew(): boolean;
    isSuperuser(): boolean;
    collection(): Collection;
    tableName(): string;
    publicExport(): JsonMap;
    /** Exports the email even when `emailVisibility` is off. */
    ignoreEmailVisibility(state: boolean): Record;
    /** Exports keys that are not fields (off by default). */
    withCustomData(state: boolean): Record;
    /** Leaves these keys out of the record's JSON. */
    hide(...fieldNames: string[]): Record;
    /** Exports these fields even when they are marked hidden. */
    unhide(...fieldNames: string[]): Record;
    clone(): Record;
    original(): Record;
    fresh(): Record;
    toJSON(): JsonMap;
    /** The stored value of a field or custom key as is (a JSON field parsed, a password hashed). */
    getRaw(key: string): any;
    /** Sets a value without normalising it (no hashing, no modifiers). */
    setRaw(key: string, value: any): void;
    /** Sets the value when the collection has that field; returns the field, or null. */
    setIfFieldExists(key: string, value: any): Field | null;
    /** A date field value as a DateTime (the zero time when empty). */
    getDateTime(key: string): DateTime;
    /** A value as unique non-empty strings (a single value becomes a one-item list). */
    getStringSlice(key: string): string[];
    /** A geoPoint field value. */
    getGeoPoint(key: string): { lon: number; lat: number };
    /** Same as `getInt`. */
    getInt64(key: string): number;
    /** Saving inserts a new row. */
    markAsNew(): void;
    /** Saving updates the row with the record's id. */
    markAsNotNew(): void;
    /** The primary key (the id). */
    pk(): string;
    /** The id the record was last saved with (`""` when new). */
    lastSavedPK(): string;
    /** `[collectionId, collectionName]`. */
    hookTags(): string[];
    /** `collectionId/recordId`, where the record's files are stored. */
    baseFilesPath(): string;
    /** The new files (set with `record.set(field, file)`) not saved yet. */
    getUnsavedFiles(field: string): filesystem.File[];
    /** The file field holding this file name, or null. */
    findFileFieldByFile(filename: string): Field | null;
    /** The values of keys that are not fields. */
    customData(): JsonMap;
    /** The field values as stored (hidden fields and hashes included). */
    fieldsData(): JsonMap;
    /** The column values written to the database. */
    dbExport(app?: any): JsonMap;
    /** The public JSON as bytes. */
    marshalJSON(): number[];
    /** Sets fields from JSON text or bytes. */
    unmarshalJSON(data: string | number[]): void;
    /** Sets one field from JSON text or bytes. */
    unmarshalJSONField(key: string, data: string | number[]): void;
    /** `data` with `field+`, `+field`, `field-` keys replaced by the resulting field value (the record is unchanged). */
    replaceModifiers(data: JsonMap): JsonMap;
    /** Sets a random 30 characters password and returns it. */
    setRandomPassword(): string;
    /** Sets the tokenKey (tokens signed with the old one stop working once saved). */
    setTokenKey(key: string): void;
    /** The expanded relations. */
    expand(): { [relField: string]: Record | Record[] };
    /** Replaces the expanded relations. */
    setExpand(expand: { [relField: string]: Record | Record[] }): void;
    /** Merges expanded relations into the current ones. */
    mergeExpand(expand: { [relField: string]: Record | Record[] }): void;
    /** The record expanded under a relation field (the first of several), or null. */
    expandedOne(relField: string): Record | null;
    /** The records expanded under a relation field. */
    expandedAll(relField: string): Record[];
    /** A refreshable auth token of this auth record. */
    newAuthToken(): string;
    /** A non-refreshable auth token valid for `duration` nanoseconds (0: the collection's duration). */
    newStaticAuthToken(duration: number): string;
    /** A verification token for the record's email. */
    newVerificationToken(): string;
    /** A password reset token. */
    newPasswordResetToken(): string;
    /** An email change token for `newEmail`. */
    newEmailChangeToken(newEmail: string): string;
    /** A token for protected files. */
    newFileToken(): string;
    /** Deprecated name of `getUnsavedFiles`. */
    getUploadedFiles(field: string): filesystem.File[];
    /** Marks the record as just read from the database: not new, its current values the original ones. */
    postScan(): void;
  }

  /** A collection field (PocketBase's field JSON). */
  interface Field {
    id?: string;
    name?: string;
    type?: string;
    system?: boolean;
    hidden?: boolean;
    presentable?: boolean;
    required?: boolean;
    help?: string;
    [option: string]: any;
    getId(): string;
    setId(id: string): void;
    getName(): string;
    setName(name: string): void;
    getSystem(): boolean;
    setSystem(system: boolean): void;
    getHidden(): boolean;
    setHidden(hidden: boolean): void;
    /** relation, select and file fields with `maxSelect` > 1 hold lists. */
    isMultiple(): boolean;
    /** The SQLite column definition of the field (PocketBase's). */
    columnType(app?: any): string;
    /** `raw` as the field stores it (a list for a multi-value field, a number for a number field, …). */
    prepareValue(record: Record | null, raw: any): any;
    /** The record setter for `key` (the field name, or a `+`/`-` modifier of a number or multi-value field), or null. */
    findSetter(key: string): ((record: Record, raw: any) => void) | null;
    /** Throws a `ValidationError` (`code`, `message`) when the record's value breaks this field's options. */
    validateValue(ctx: any, app: any, record: Record): void;
    /** Throws a validation error keyed by option when the field's settings are invalid in `collection`. */
    validateSettings(ctx: any, app: any, collection: Collection): void;
    /** The record's value of this field as its row stores it, normalised (a list for a multi-value field). */
    driverValue(record: Record): any;
    /** Runs `actionFunc` for a record action (`"validate"`, `"create"`, …); a text field with an autogenerate pattern fills an empty value of a new record first. */
    intercept(ctx: any, app: any, record: Record, actionName: string, actionFunc: () => void): void;
  }
  // @generated field interfaces (src/jsvm/bindings/field_table.rs)

  /** The fields of a collection (an array with lookups). */
  interface FieldsList extends Array<Field> {
    getByName(name: string): Field | null;
    getById(id: string): Field | null;
    fieldNames(): string[];
    add(...fields: Field[]): void;
    addAt(pos: number, ...fields: Field[]): void;
    removeByName(name: string): void;
    removeById(id: string): void;
  }

  /** A collection (PocketBase's collection JSON with helpers). */
  interface Collection {
    id: string;
    name: string;
    type: string;
    system: boolean;
    fields: FieldsList;
    indexes: string[];
    listRule: string | null;
    viewRule: string | null;
    createRule: string | null;
    updateRule: string | null;
    deleteRule: string | null;
    created: string;
    updated: string;
    isAuth(): boolean;
    isBase(): boolean;
    isView(): boolean;
    tableName(): string;
    /** The query of a view collection (`""` for other types). */
    viewQuery: string;
    /** Auth collections: who may authenticate (null: nobody but superusers). Other types read null. */
    authRule: string | null;
    /** Auth collections: who may manage the records' email/password. */
    manageRule: string | null;
    authAlert: { enabled: boolean; emailTemplate: { subject: string; body: string } };
    oauth2: { enabled: boolean; mappedFields: JsonMap; providers: JsonMap[] };
    passwordAuth: { enabled: boolean; identityFields: string[] };
    mfa: { enabled: boolean; duration: number; rule: string };
    otp: { enabled: boolean; duration: number; length: number; emailTemplate: { subject: string; body: string } };
    authToken: { duration: number; secret?: string };
    passwordResetToken: { duration: number; secret?: string };
    emailChangeToken: { duration: number; secret?: string };
    verificationToken: { duration: number; secret?: string };
    fileToken: { duration: number; secret?: string };
    verificationTemplate: { subject: string; body: string };
    resetPasswordTemplate: { subject: string; body: string };
    confirmEmailChangeTemplate: { subject: string; body: string };
    /** The collection id: where its records' files are stored. */
    baseFilesPath(): string;
    /** The primary key (the id). */
    pk(): string;
    /** Whether saving creates the collection (a `new Collection()` not saved yet). */
    isNew(): boolean;
    markAsNew(): void;
    markAsNotNew(): void;
    /** The id it was last saved with (`""` when new). */
    lastSavedPK(): string;
    /** The index with this name (case-insensitive), `""` when none. */
    getIndex(name: string): string;
    /** Adds (or replaces) `CREATE [UNIQUE] INDEX name ON collection (columnsExpr) [WHERE optWhereExpr]`. */
    addIndex(name: string, unique: boolean, columnsExpr: string, optWhereExpr?: string): void;
    /** Removes the index with this name (case-insensitive). */
    removeIndex(name: string): void;
    /** The collection JSON as bytes. */
    marshalJSON(): number[];
    /** Loads collection JSON (text or bytes) into this collection. */
    unmarshalJSON(data: string | number[]): void;
    /** The collection JSON as text. */
    string(): string;
    /** The `_collections` row saving it writes (fields, indexes and type `options` as JSON values). */
    dbExport(app?: any): JsonMap;
    /** The type options as stored in `_collections.options`, as raw JSON bytes. */
    rawOptions(): number[];
    /** Normalises the collection as if it had just been read from the database. */
    postScan(): void;
    [option: string]: any;
  }

  /** `@request.*` data of a request. */
  interface RequestInfo {
    query: JsonMap;
    headers: JsonMap;
    body: JsonMap;
    auth: Record | null;
    method: string;
    context: string;
  }

  interface Header {
    get(name: string): string;
    values(name: string): string[];
    has(name: string): boolean;
    set(name: string, value: string): void;
    add(name: string, value: string): void;
    del(name: string): void;
  }

  interface URLQuery {
    get(key: string): string;
    has(key: string): boolean;
    values(key: string): string[];
  }

  interface Request {
    method: string;
    host: string;
    remoteAddr: string;
    requestURI: string;
    contentLength: number;
    header: Header;
    url: { path: string; rawQuery: string; host: string; scheme: string; query(): URLQuery; string(): string };
    pathValue(name: string): string;
    setPathValue(name: string, value: string): void;
    /** `HTTP/1.1`, `HTTP/2.0`. */
    proto: string;
    protoMajor: number;
    protoMinor: number;
    protoAtLeast(major: number, minor: number): boolean;
    /** The matched route, e.g. `GET /hello/{name}`. */
    pattern: string;
    /** Always null: TLS is handled before the hooks. */
    tls: null;
    /** Whether the client asked to close the connection. */
    close: boolean;
    transferEncoding: string[];
    trailer: JsonMap;
    /** Always null on a server request. */
    response: null;
    /** The body as sent: read it with `toString(e.request.body)` or `toBytes(...)`, as often as needed. */
    body: any;
    /** A reader of the body (same as `body`). */
    getBody(): any;
    userAgent(): string;
    referer(): string;
    /** The request cookies. */
    cookies(): Cookie[];
    cookiesNamed(name: string): Cookie[];
    /** The named cookie; throws "http: named cookie not present" when missing. */
    cookie(name: string): Cookie;
    /** Adds a cookie to the request's Cookie header. */
    addCookie(cookie: Cookie | { name: string; value: string }): void;
    /** `[username, password, ok]` of an `Authorization: Basic` header. */
    basicAuth(): [string, string, boolean];
    setBasicAuth(username: string, password: string): void;
    /** Reads the form values (urlencoded or multipart text fields, then the query). */
    parseForm(): void;
    parseMultipartForm(maxMemory?: number): void;
    /** Body form values followed by query values. */
    form: FormValues;
    /** Body form values only. */
    postForm: FormValues;
    /** The first form value of a key (body first, then query), `""` when none. */
    formValue(key: string): string;
    /** The first body form value of a key, `""` when none. */
    postFormValue(key: string): string;
    /** The request context (values set with `withContext`). */
    context(): Context;
    /** A copy of the request with another context. */
    withContext(ctx: Context): Request;
    /** A copy of the request (optionally with another context). */
    clone(ctx?: Context): Request;
  }

  /** Go's url.Values: every value of a key, in order. */
  interface FormValues {
    get(key: string): string;
    values(key: string): string[];
    has(key: string): boolean;
    set(key: string, value: string): void;
    add(key: string, value: string): void;
    del(key: string): void;
    keys(): string[];
    encode(): string;
  }

  /** Shared by every event: `e.next()` continues the chain. */
  interface HookEvent {
    next(): void;
    app: PocketBase;
    get(key: string): any;
    set(key: string, value: any): void;
  }

  /** The event of routes and middlewares. */
  interface RequestEvent extends HookEvent {
    request: Request;
    response: { header(): Header };
    auth: Record | null;
    requestInfo(): RequestInfo;
    hasSuperuserAuth(): boolean;
    /** The files uploaded under a multipart form key (none for another body). */
    findUploadedFiles(key: string): filesystem.File[];
    isTLS(): boolean;
    realIP(): string;
    /** The client's IP address from the connection (no proxy headers). */
    remoteIP(): string;
    getAll(): JsonMap;
    /** Sets several values of the event store at once. */
    setAll(values: JsonMap): void;
    /** Whether a response has been written. */
    written(): boolean;
    /** The status of the written response (0 before one is written). */
    status(): number;
    /** Sends what was written so far (responses are buffered: no-op). */
    flush(): void;
    /** Adds a `Set-Cookie` header. */
    setCookie(cookie: Cookie | JsonMap): void;
    /** Reads the JSON, form or multipart body into `dst` (a DynamicModel gets its shape's types). */
    bindBody(dst: any): void;
    json(status: number, data: any): void;
    string(status: number, text: string): void;
    html(status: number, html: string): void;
    /** Writes `data` (XML text) with an XML declaration. */
    xml(status: number, data: any): void;
    blob(status: number, contentType: string, bytes: Array<number> | string): void;
    /** Writes the whole of `reader` (a string or bytes) with the content type. */
    stream(status: number, contentType: string, reader: any): void;
    noContent(status: number): void;
    redirect(status: number, url: string): void;
    error(status: number, message: string, data?: any): ApiError;
    badRequestError(message: string, data?: any): ApiError;
    notFoundError(message: string, data?: any): ApiError;
    forbiddenError(message: string, data?: any): ApiError;
    unauthorizedError(message: string, data?: any): ApiError;
    tooManyRequestsError(message: string, data?: any): ApiError;
    internalServerError(message: string, data?: any): ApiError;
  }

  /**
   * Request-level hook events (records, auth, settings, collections APIs):
   * the request event API of routes, except that, like in PocketBase,
   * `e.request` and `e.response` are not set here; they are on
   * `e.requestEvent`. A response written here (`e.json(...)`) is what the
   * API answers; once `e.next()` has returned, the API's own answer is
   * written and later changes or errors do not alter it.
   */
  interface BaseRequestEvent extends Omit<RequestEvent, "request" | "response" | "next" | "app"> {
    next(): void;
    app: PocketBase;
    /** The route event behind this hook: `requestEvent.request`, `requestEvent.response.header()`. */
    requestEvent: RequestEvent;
    request?: undefined;
    response?: undefined;
    /** `[collectionId, collectionName]`: the tags the event's hooks match. */
    tags(): string[];
    [key: string]: any;
  }

  interface BootstrapEvent extends HookEvent {}
  interface TerminateEvent extends HookEvent { isRestart: boolean }
  interface SettingsReloadEvent extends HookEvent {}
  interface BackupEvent extends HookEvent { name: string; exclude: string[] }
  interface ModelEvent extends HookEvent { /** `[collectionId, collectionName]`: the tags the event's hooks match. */ tags(): string[]; model: Record | Collection }
  interface ModelErrorEvent extends ModelEvent { error?: any }
  interface RecordEvent extends HookEvent { /** `[collectionId, collectionName]`: the tags the event's hooks match. */ tags(): string[]; record: Record }
  interface RecordErrorEvent extends RecordEvent { error?: any }
  /** `requestInfo` is a field in PocketBase; calling it works too. */
  interface RecordEnrichEvent extends RecordEvent { auth: Record | null; requestInfo: RequestInfo & (() => RequestInfo) }
  interface CollectionEvent extends HookEvent { /** `[collectionId, collectionName]`: the tags the event's hooks match. */ tags(): string[]; collection: Collection }
  interface CollectionErrorEvent extends CollectionEvent { error?: any }
  interface RecordRequestEvent extends BaseRequestEvent {
    collection: Collection;
    record: Record;
    /** The files uploaded under a multipart key. */
    findUploadedFiles(key: string): filesystem.File[];
  }
  interface RecordsListRequestEvent extends BaseRequestEvent { collection: Collection; records: Record[] }
  interface RecordAuthRequestEvent extends BaseRequestEvent { collection: Collection; record: Record; token: string; meta: any; authMethod: string }
  interface RecordAuthWithPasswordRequestEvent extends BaseRequestEvent { collection: Collection; record: Record | null; identity: string; identityField: string; password: string }
  interface RecordAuthRefreshRequestEvent extends BaseRequestEvent { collection: Collection; record: Record }
  interface RecordAuthWithOAuth2RequestEvent extends BaseRequestEvent { collection: Collection; record: Record | null }
  interface RecordAuthWithOTPRequestEvent extends BaseRequestEvent { collection: Collection; record: Record }
  interface RecordCreateOTPRequestEvent extends BaseRequestEvent { collection: Collection; record: Record | null; password: string }
  interface RecordRequestPasswordResetRequestEvent extends BaseRequestEvent { collection: Collection; record: Record }
  interface RecordConfirmPasswordResetRequestEvent extends BaseRequestEvent { collection: Collection; record: Record }
  interface RecordRequestVerificationRequestEvent extends BaseRequestEvent { collection: Collection; record: Record }
  interface RecordConfirmVerificationRequestEvent extends BaseRequestEvent { collection: Collection; record: Record }
  interface RecordRequestEmailChangeRequestEvent extends BaseRequestEvent { collection: Collection; record: Record; newEmail: string }
  interface RecordConfirmEmailChangeRequestEvent extends BaseRequestEvent { collection: Collection; record: Record; newEmail: string }
  interface SettingsListRequestEvent extends BaseRequestEvent { settings: JsonMap }
  interface SettingsUpdateRequestEvent extends BaseRequestEvent { oldSettings: JsonMap; newSettings: JsonMap }
  interface CollectionRequestEvent extends BaseRequestEvent { collection: Collection }
  interface CollectionsListRequestEvent extends BaseRequestEvent { collections: Collection[] }
  interface CollectionsImportRequestEvent extends BaseRequestEvent { collectionsData: JsonMap[]; deleteMissing: boolean }
  interface BatchRequestEvent extends BaseRequestEvent { batch: any[] }
  interface FileDownloadRequestEvent extends BaseRequestEvent { collection: Collection; record: Record; fileField: Field; servedPath: string; servedName: string }
  interface FileTokenRequestEvent extends BaseRequestEvent { token: string }
  interface MailerEvent extends HookEvent { message: MailerMessage; mailer: { send(message: MailerMessage): void } }
  interface MailerRecordEvent extends MailerEvent { record: Record; meta: JsonMap }
  /** `idleTimeout`/`maxTimeout` are nanoseconds (Go durations); `next()` registers the client and queues PB_CONNECT. */
  interface RealtimeConnectRequestEvent extends BaseRequestEvent { client: subscriptions.Client; idleTimeout: number; maxTimeout: number }
  interface RealtimeSubscribeRequestEvent extends BaseRequestEvent { client: subscriptions.Client; subscriptions: string[] }
  /** Skip `next()` to drop the message; throw to drop the client. */
  interface RealtimeMessageEvent extends HookEvent { client: subscriptions.Client; message: { name: string; data: string } }
}

/** Realtime clients and their broker (`$app.subscriptionsBroker()`). */
declare namespace subscriptions {
  interface SubscriptionOptions { query: { [key: string]: string }; headers: { [key: string]: string } }
  interface Client {
    id(): string;
    /** `{subscription: options}`, only those starting with one of `prefixes` when given. */
    subscriptions(...prefixes: string[]): { [subscription: string]: SubscriptionOptions };
    subscribe(...subs: string[]): void;
    /** Removes the given subscriptions, all of them without arguments. */
    unsubscribe(...subs: string[]): void;
    hasSubscription(sub: string): boolean;
    /** `get("auth")` is the client's auth record (or null). */
    get(key: string): any;
    set(key: string, value: any): void;
    unset(key: string): void;
    discard(): void;
    isDiscarded(): boolean;
    /** Queues a message (never waits; a client too slow to take it is dropped). Returns whether it was queued. */
    send(message: SubscriptionMessage | { name: string; data: string }): boolean;
  }
  interface Broker {
    clients(): { [clientId: string]: Client };
    chunkedClients(chunkSize: number): Client[][];
    totalClients(): number;
    /** Throws when there is no such client. */
    clientById(clientId: string): Client;
    register(client: Client): void;
    unregister(clientId: string): void;
  }
}

/** A `$dbx` expression (built by the `$dbx` helpers). */
declare namespace dbx {
  interface Expression { readonly __dbx: string }
  /** A raw SQL query (`$app.db().newQuery(sql)`); `{:name}` placeholders are bound by `bind`. */
  interface Query {
    bind(params: JsonMap): Query;
    execute(): { rowsAffected(): number; lastInsertId(): number };
    one(model?: any): any;
    all(models?: any[]): any[];
  }
  interface Builder {
    newQuery(sql: string): Query;
    /** A SELECT builder: `select("id", "title").from("posts").andWhere($dbx.hashExp({status: "on"})).all()`. */
    select(...columns: string[]): SelectQuery<any>;
  }
  /**
   * dbx's SELECT builder. Names in `select`/`from`/`orderBy`/`groupBy` are
   * quoted when plain identifiers; conditions are `$dbx` expressions whose
   * values are always bound. `T` is what a row becomes (`all`/`one`).
   */
  interface SelectQuery<T> {
    select(...columns: string[]): SelectQuery<T>;
    andSelect(...columns: string[]): SelectQuery<T>;
    /** `SELECT DISTINCT` (`true` when called without an argument). */
    distinct(v?: boolean): SelectQuery<T>;
    /** Text written right after `SELECT` (`SQL_CALC_FOUND_ROWS`-like options). */
    selectOption(option: string): SelectQuery<T>;
    from(...tables: string[]): SelectQuery<T>;
    where(expr: Expression | null): SelectQuery<T>;
    andWhere(expr: Expression | null): SelectQuery<T>;
    orWhere(expr: Expression | null): SelectQuery<T>;
    /** A join of kind `type` (`"LEFT JOIN"`, …). */
    join(type: string, table: string, on?: Expression | null): SelectQuery<T>;
    innerJoin(table: string, on?: Expression | null): SelectQuery<T>;
    leftJoin(table: string, on?: Expression | null): SelectQuery<T>;
    rightJoin(table: string, on?: Expression | null): SelectQuery<T>;
    /** Columns with an optional `ASC`/`DESC` (`orderBy("created DESC", "id")`). */
    orderBy(...columns: string[]): SelectQuery<T>;
    andOrderBy(...columns: string[]): SelectQuery<T>;
    groupBy(...columns: string[]): SelectQuery<T>;
    andGroupBy(...columns: string[]): SelectQuery<T>;
    having(expr: Expression | null): SelectQuery<T>;
    andHaving(expr: Expression | null): SelectQuery<T>;
    orHaving(expr: Expression | null): SelectQuery<T>;
    /** A negative limit: no limit. */
    limit(n: number): SelectQuery<T>;
    offset(n: number): SelectQuery<T>;
    /** Binds `{:name}` placeholders written in columns, tables or joins (replaces earlier params). */
    bind(params: JsonMap): SelectQuery<T>;
    andBind(params: JsonMap): SelectQuery<T>;
    /** Text written before the statement. */
    preFragment(fragment: string): SelectQuery<T>;
    /** Text written after the statement. */
    postFragment(fragment: string): SelectQuery<T>;
    /** Accepted for PocketBase's API; the handler's time budget bounds the query. */
    withContext(ctx: any): SelectQuery<T>;
    /** Always null (no Go context). */
    context(): null;
    /** The raw query of the builder (`build().execute()`, `.all()`, `.one()`). */
    build(): Query;
    /** Every row (replacing the items of `models` when given). */
    all(models?: any[]): T[];
    /** The first row (NotFoundError without one); a given model is filled in place. */
    one(model?: any): T;
    /** The first column of every row. */
    column(): any[];
    /** The first row as a plain object (NotFoundError without one). */
    row(): JsonMap;
  }
}

/** `$app.recordQuery(collection)`: a select builder whose rows are records. */
type RecordQuery = dbx.SelectQuery<core.Record>;

/** A `_logs` row of auxiliary.db (`$app.logQuery()`, `auxSave`, `auxDelete`). */
interface Log {
  id: string;
  created: string;
  level: number;
  message: string;
  data: JsonMap;
  tableName(): string;
  pk(): string;
  isNew(): boolean;
}

/** The app-wide store shared by every runtime. */
interface Store {
  get(key: string): any;
  set(key: string, value: any): void;
  getOrSet(key: string, value: any): any;
  has(key: string): boolean;
  remove(key: string): void;
  reset(): void;
  length(): number;
  getAll(): JsonMap;
}

/** slog-style logger: `$app.logger().info("message", "key", value, …)`. */
interface Logger {
  debug(message: string, ...keyValues: any[]): void;
  info(message: string, ...keyValues: any[]): void;
  warn(message: string, ...keyValues: any[]): void;
  error(message: string, ...keyValues: any[]): void;
}


/**
 * A hook of `$app` (`$app.onRecordCreate("posts")`): handlers bound while
 * the hook files load run like the ones of the global `on*` functions.
 */
interface Hook<T> {
  /** Binds `func`; a lower priority runs first. Returns the handler id. */
  bind(handler: { id?: string; priority?: number; func: (e: T) => void }): string;
  /** Binds a handler; returns its id. */
  bindFunc(func: (e: T) => void): string;
  /** Removes the handlers with these ids. */
  unbind(...ids: string[]): void;
  /** Removes every handler bound through this hook (and its tags). */
  unbindAll(): void;
  /** How many handlers are bound. */
  length(): number;
  /** Whether handlers of this hook object fire for a model with these tags. */
  canTriggerOn(tags: string[]): boolean;
}

/** `e.router` of onServe: adds routes and middlewares like routerAdd/routerUse. */
interface RouterGroup {
  prefix: string;
  route(method: string, path: string, action: (e: core.RequestEvent) => void): Route;
  any(path: string, action: (e: core.RequestEvent) => void): Route;
  get(path: string, action: (e: core.RequestEvent) => void): Route;
  post(path: string, action: (e: core.RequestEvent) => void): Route;
  put(path: string, action: (e: core.RequestEvent) => void): Route;
  patch(path: string, action: (e: core.RequestEvent) => void): Route;
  delete(path: string, action: (e: core.RequestEvent) => void): Route;
  head(path: string, action: (e: core.RequestEvent) => void): Route;
  options(path: string, action: (e: core.RequestEvent) => void): Route;
  group(prefix: string): RouterGroup;
  bind(...handlers: Array<Middleware | { id?: string; priority?: number; func: (e: core.RequestEvent) => void }>): RouterGroup;
  bindFunc(...funcs: Array<(e: core.RequestEvent) => void>): RouterGroup;
  unbind(...ids: string[]): RouterGroup;
  hasRoute(method: string, path: string): boolean;
}

/** A route added through `e.router`. */
interface Route {
  method: string;
  path: string;
  action: (e: core.RequestEvent) => void;
  bind(...handlers: Array<Middleware | { id?: string; priority?: number; func: (e: core.RequestEvent) => void }>): Route;
  bindFunc(...funcs: Array<(e: core.RequestEvent) => void>): Route;
  unbind(...ids: string[]): Route;
}

declare namespace core {
  /** The event of `$app.onServe()`: `e.router` adds routes. */
  interface ServeEvent {
    app: PocketBase;
    router: RouterGroup;
    server: null;
    next(): void;
  }
}

type CollectionArg = string | core.Collection;

/** `$app` (and `e.app`, transaction-bound inside hooks and transactions). */
/** A `PRAGMA table_info` row. */
interface TableInfoRow {
  pk: number;
  index: number;
  name: string;
  type: string;
  notNull: boolean;
  defaultValue: { string: string; valid: boolean };
}

interface PocketBase {
  findCollectionByNameOrId(nameOrId: string): core.Collection;
  findCachedCollectionByNameOrId(nameOrId: string): core.Collection;
  findAllCollections(...types: string[]): core.Collection[];
  findRecordById(collection: CollectionArg, id: string): core.Record;
  findRecordsByIds(collection: CollectionArg, ids: string[]): core.Record[];
  findRecordsByFilter(collection: CollectionArg, filter: string, sort?: string, limit?: number, offset?: number, ...params: JsonMap[]): core.Record[];
  findFirstRecordByFilter(collection: CollectionArg, filter: string, ...params: JsonMap[]): core.Record;
  findFirstRecordByData(collection: CollectionArg, key: string, value: any): core.Record;
  findAllRecords(collection: CollectionArg, ...exprs: dbx.Expression[]): core.Record[];
  countRecords(collection: CollectionArg, ...exprs: dbx.Expression[]): number;
  findAuthRecordByEmail(collection: CollectionArg, email: string): core.Record;
  findAuthRecordByToken(token: string, ...tokenTypes: string[]): core.Record;
  recordQuery(collection: CollectionArg): RecordQuery;
  /** A select builder over `_collections` whose rows are collections. */
  collectionQuery(): dbx.SelectQuery<core.Collection>;
  /** A select builder over auxiliary.db `_logs` whose rows are logs. */
  logQuery(): dbx.SelectQuery<Log>;
  /** A select builder over a model's table (records: `recordQuery` of its collection). */
  modelQuery(model: core.Record | core.Collection | Log | { tableName(): string }): dbx.SelectQuery<any>;
  /** `modelQuery` on auxiliary.db (logs, or a model with `tableName()`). */
  auxModelQuery(model: Log | { tableName(): string }): dbx.SelectQuery<any>;
  /** Hourly counts `[{date, total}]` of the logs matching `expr` (all of them with null). */
  logsStats(expr: dbx.Expression | null): Array<{ date: DateTime; total: number }>;
  /** Writes a log to auxiliary.db (a new one, with an empty id, gets an id and its created time). */
  auxSave(model: Log): void;
  /** `auxSave` (logs have no validation). */
  auxSaveNoValidate(model: Log): void;
  /** `auxSave`; `ctx` is accepted and ignored. */
  auxSaveWithContext(ctx: any, model: Log): void;
  /** `auxSave`; `ctx` is accepted and ignored. */
  auxSaveNoValidateWithContext(ctx: any, model: Log): void;
  /** Deletes a log from auxiliary.db. */
  auxDelete(model: Log): void;
  /** `auxDelete`; `ctx` is accepted and ignored. */
  auxDeleteWithContext(ctx: any, model: Log): void;
  /** The fields a view query gives and up to `sampleSize` of its records; nothing is saved. Trusted SQL only. */
  dryRunView(dangerousSelectQuery: string, sampleSize: number): { fields: core.FieldsList; sample: core.Record[] };
  save(model: core.Record | core.Collection | JsonMap): void;
  saveNoValidate(model: core.Record | core.Collection): void;
  validate(model: core.Record | core.Collection): void;
  delete(model: core.Record | core.Collection): void;
  runInTransaction(fn: (txApp: PocketBase) => void): void;
  isTransactional(): boolean;
  db(): dbx.Builder;
  /** The settings (secrets blanked); change them and pass them to `save()`. */
  settings(): JsonMap;
  /** Creates or replaces the given collections (by id or name) in one transaction. */
  importCollections(collections: Array<JsonMap | core.Collection>, deleteMissing?: boolean): void;
  store(): Store;
  logger(): Logger;
  /** The record files storage (`pb_data/storage`, or S3 when `settings.s3` is on). */
  newFilesystem(): filesystem.System;
  /** The backups storage (`pb_data/backups`, or the backups S3). */
  newBackupsFilesystem(): filesystem.System;
  /** The app's mail client (SMTP from the settings, or the local sendmail); every `send` goes through `onMailerSend`. */
  newMailClient(): { send(message: MailerMessage): void };
  /** The realtime clients (`clients()`, `clientById(id)`, `client.send(message)`). */
  subscriptionsBroker(): subscriptions.Broker;
  isDev(): boolean;
  dataDir(): string;
  rootCmd: { addCommand(...cmds: Command[]): void };
  /** The same app (and transaction) on which no hook runs: saves, deletes and validations skip every hook (validation itself still runs). Unsafe: features built on hooks (realtime, auth reference cleanup) are skipped too. */
  unsafeWithoutHooks(): PocketBase;
  /** Always true inside hooks. */
  isBootstrapped(): boolean;
  /** The env variable holding the settings encryption key (`--encryptionEnv`), `""` when unset. */
  encryptionEnv(): string;
  /** Re-reads the settings from the database (fires `onSettingsReload`). */
  reloadSettings(): void;
  /** Re-reads the collections cache from the database. */
  reloadCachedCollections(): void;
  /** `save()` (the context is ignored: handlers are bounded by their time budget). */
  saveWithContext(ctx: any, model: core.Record | core.Collection | JsonMap): void;
  /** `saveNoValidate()` (the context is ignored). */
  saveNoValidateWithContext(ctx: any, model: core.Record | core.Collection): void;
  /** `delete()` (the context is ignored). */
  deleteWithContext(ctx: any, model: core.Record | core.Collection): void;
  /** `validate()` (the context is ignored). */
  validateWithContext(ctx: any, model: core.Record | core.Collection): void;
  /** The data.db query builder (same as `db()`). */
  concurrentDB(): dbx.Builder;
  /** The data.db query builder (same as `db()`). */
  nonconcurrentDB(): dbx.Builder;
  /** Whether a table or view with this name exists (case-insensitive). */
  hasTable(tableName: string): boolean;
  /** The column names of a table (`[]` when it does not exist). */
  tableColumns(tableName: string): string[];
  /** `PRAGMA table_info` rows of a table; throws when it does not exist. */
  tableInfo(tableName: string): TableInfoRow[];
  /** `{indexName: "CREATE INDEX ..."}` of a table's indexes. */
  tableIndexes(tableName: string): { [name: string]: string };
  /** Drops a table if it exists. The name is not escaped: trusted input only. */
  deleteTable(dangerousTableName: string): void;
  /** Drops a view if it exists. The name is not escaped: trusted input only. */
  deleteView(dangerousViewName: string): void;
  /** Creates or replaces a view; an invalid query fails and keeps the old view. Trusted input only. */
  saveView(dangerousViewName: string, dangerousSelectQuery: string): void;
  /** The fields a view collection with this query would get. */
  createViewFields(dangerousSelectQuery: string): core.FieldsList;
  /** Runs VACUUM on data.db. */
  vacuum(): void;
  /** The auxiliary.db (request logs) query builder. */
  auxDB(): dbx.Builder;
  /** Same as `auxDB()`. */
  auxConcurrentDB(): dbx.Builder;
  /** Same as `auxDB()`. */
  auxNonconcurrentDB(): dbx.Builder;
  /** Whether a table or view exists in auxiliary.db (case-insensitive). */
  auxHasTable(tableName: string): boolean;
  /** Runs VACUUM on auxiliary.db. */
  auxVacuum(): void;
  /** Deletes the request logs created before this time. */
  deleteOldLogs(createdBefore: DateTime | Date | string): void;
  /** Deletes every record of a collection (delete hooks and cascades run). */
  truncateCollection(collection: CollectionArg): void;
  /** `importCollections` with the collections list as JSON text or bytes. */
  importCollectionsByMarshaledJSON(rawSliceOfMaps: string | number[], deleteMissing: boolean): void;
  /** Whether no collection other than `excludeIds` has this name (case-insensitive). */
  isCollectionNameUnique(name: string, ...excludeIds: string[]): boolean;
  /** The relation fields pointing at `collection`, grouped by the name of the collection holding them. */
  findCollectionReferences(collection: CollectionArg, ...excludeIds: string[]): { [collectionName: string]: core.Field[] };
  /** Same as `findCollectionReferences`. */
  findCachedCollectionReferences(collection: CollectionArg, ...excludeIds: string[]): { [collectionName: string]: core.Field[] };
  /** Whether `requestInfo` may access `record` under `accessRule`: superusers always, `null` only superusers, `""` anyone, otherwise when the rule matches the stored record. */
  canAccessRecord(record: core.Record, requestInfo: core.RequestInfo, accessRule: string | null): boolean;
  /** Expands the relations of `record` in place (paths like `"author"` or `"tags.owner"`, API rules not applied); returns the failed paths with their error. A custom fetch function is not supported. */
  expandRecord(record: core.Record, expands: string[], optFetchFunc?: null): { [path: string]: Error };
  /** `expandRecord` for several records at once. */
  expandRecords(records: core.Record[], expands: string[], optFetchFunc?: null): { [path: string]: Error };
  /** One request log entry by id. */
  findLogById(id: string): { id: string; created: string; level: number; message: string; data: JsonMap };
  /** The `_externalAuths` rows (OAuth2 links) of an auth record, newest first. */
  findAllExternalAuthsByRecord(authRecord: core.Record): core.Record[];
  /** The `_externalAuths` rows of an auth collection. */
  findAllExternalAuthsByCollection(collection: CollectionArg): core.Record[];
  /** The first `_externalAuths` row matching a `$dbx` expression (404 error when none). */
  findFirstExternalAuthByExpr(expr: dbx.Expression): core.Record;
  /** Deletes the `_externalAuths` rows of an auth record. */
  deleteAllExternalAuthsByRecord(authRecord: core.Record): void;
  /** The `_mfas` rows of an auth record, newest first. */
  findAllMFAsByRecord(authRecord: core.Record): core.Record[];
  /** The `_mfas` rows of an auth collection. */
  findAllMFAsByCollection(collection: CollectionArg): core.Record[];
  /** One `_mfas` row by id. */
  findMFAById(id: string): core.Record;
  /** Deletes the `_mfas` rows of an auth record. */
  deleteAllMFAsByRecord(authRecord: core.Record): void;
  /** Deletes the `_mfas` rows older than their collection's MFA duration. */
  deleteExpiredMFAs(): void;
  /** The `_otps` rows of an auth record, newest first. */
  findAllOTPsByRecord(authRecord: core.Record): core.Record[];
  /** The `_otps` rows of an auth collection. */
  findAllOTPsByCollection(collection: CollectionArg): core.Record[];
  /** One `_otps` row by id. */
  findOTPById(id: string): core.Record;
  /** Deletes the `_otps` rows of an auth record. */
  deleteAllOTPsByRecord(authRecord: core.Record): void;
  /** Deletes the `_otps` rows older than their collection's OTP duration. */
  deleteExpiredOTPs(): void;
  /** The `_authOrigins` rows (devices that logged in) of an auth record, newest first. */
  findAllAuthOriginsByRecord(authRecord: core.Record): core.Record[];
  /** The `_authOrigins` rows of an auth collection. */
  findAllAuthOriginsByCollection(collection: CollectionArg): core.Record[];
  /** One `_authOrigins` row by id. */
  findAuthOriginById(id: string): core.Record;
  /** The `_authOrigins` row of an auth record with this fingerprint (404 error when none). */
  findAuthOriginByRecordAndFingerprint(authRecord: core.Record, fingerprint: string): core.Record;
  /** Deletes the `_authOrigins` rows of an auth record. */
  deleteAllAuthOriginsByRecord(authRecord: core.Record): void;
  // @generated $app hooks (src/jsvm/bridge/hook_table.rs)
}

type CoreApp = PocketBase;

/** Absolute path of the hooks directory. */
declare var __hooks: string;

/** The running app. */
declare var $app: PocketBase;

interface Console {
  log(...data: any[]): void;
  info(...data: any[]): void;
  debug(...data: any[]): void;
  warn(...data: any[]): void;
  error(...data: any[]): void;
}
/** Console output goes to the app log. */
declare var console: Console;

/** `process.env`: the environment. */
declare var process: { env: { [key: string]: string | undefined } };

/** CommonJS `require`, relative to the requiring file (hook files: the hooks dir); `node_modules` is searched. */
declare function require(path: string): any;

/** Registers a cron job (5 fields or a macro like `@hourly`, UTC); replaces a job with the same id. */
declare function cronAdd(jobId: string, cronExpr: string, handler: () => void): void;

/** Removes a cron job (unknown ids are ignored). */
declare function cronRemove(jobId: string): void;

/** Registers a route (`{name}` and `{path...}` params). The "*" method registers nothing. */
declare function routerAdd(
  method: string,
  path: string,
  handler: (e: core.RequestEvent) => void,
  ...middlewares: Array<string | ((e: core.RequestEvent) => void) | Middleware>
): void;

/** Registers global middlewares (they also wrap the built-in routes). */
declare function routerUse(...middlewares: Array<string | ((e: core.RequestEvent) => void) | Middleware>): void;

/** A route middleware with a priority (lower runs first) and an id. */
declare class Middleware {
  constructor(func: string | ((e: core.RequestEvent) => void), priority?: number, id?: string);
}

/** Loads templates (a documented subset of Go's html/template). */
declare var $template: {
  /** Adds functions the templates loaded afterwards can call: `addFuncs({upper: (s) => s.toUpperCase()})`. */
  addFuncs(funcs: { [name: string]: (...args: any[]) => any }): typeof $template;
  loadFiles(...filenames: string[]): { render(data?: any): string };
  loadString(...templates: string[]): { render(data?: any): string };
  /** Not available yet: throws. */
  loadFS(...args: any[]): { render(data?: any): string };
};

/** Superseded by `toString`. */
declare function readerToString(reader: any, maxBytes?: number): string;
/** Strings as they are, byte arrays as text, anything else as JSON (sorted keys); null → "". */
declare function toString(val: any, maxBytes?: number): string;
/** The UTF-8 bytes of a string (or of the value as JSON). */
declare function toBytes(val: any, maxBytes?: number): Array<number>;
/** Blocks the handler for `milliseconds` (counted against its time budget). */
declare function sleep(milliseconds: number): void;
/** An empty array of `model`s for `all(...)` calls. */
declare function arrayOf<T>(model: T): Array<T>;
/** Merges `data` (JSON-able) on top of `dst`. */
declare function unmarshal(data: any, dst: any): void;

/** A model for raw query results; the shape's values give the column types. */
declare class DynamicModel {
  [key: string]: any;
  constructor(shape?: { [key: string]: any });
}
declare function nullString(): string;
declare function nullInt(): number;
declare function nullFloat(): number;
declare function nullBool(): boolean;
declare function nullArray(): Array<any>;
declare function nullObject(): { get(key: string): any; set(key: string, value: any): void };

/** A context value chain (`new Context(parent, key, value).value(key)`). */
declare class Context {
  constructor(parentCtx?: Context | null, key?: any, value?: any);
  value(key: any): any;
}

/** `new Record(collection, data?)`. */
declare const Record: {
  new (collection?: CollectionArg, data?: JsonMap): core.Record;
};

interface Collection extends core.Collection {}
/** `new Collection({name, type, fields: [...], ...})`. */
declare class Collection implements core.Collection {
  constructor(data?: Partial<core.Collection> | JsonMap);
}

interface FieldsList extends core.FieldsList {}
declare class FieldsList implements core.FieldsList {
  constructor(data?: core.Field[]);
}

interface Field extends core.Field {}
declare class Field implements core.Field { constructor(data?: Partial<core.Field>) }
// @generated field classes (src/jsvm/bindings/field_table.rs)

/** An email message for `$app.newMailClient().send(message)`. */
declare class MailerMessage {
  constructor(message?: { from?: any; to?: any[]; cc?: any[]; bcc?: any[]; subject?: string; html?: string; text?: string; headers?: JsonMap; attachments?: JsonMap; inlineAttachments?: JsonMap });
  [key: string]: any;
}

/** A console command: `$app.rootCmd.addCommand(new Command({use: "hello", run: (cmd, args) => {...}}))` runs as `ferrobase hello`. */
declare class Command {
  constructor(cmd?: { use?: string; short?: string; long?: string; run?: (cmd: Command, args: string[]) => void; [key: string]: any });
  use: string;
  short: string;
  long: string;
  addCommand(...cmds: Command[]): void;
  name(): string;
}

/** `new RequestInfo({auth, body, headers, ...})`. */
declare const RequestInfo: {
  new (info?: Partial<core.RequestInfo>): core.RequestInfo;
};

/** A time zone by IANA name ("Europe/Paris"); "", "UTC" and unknown names are UTC, "Local" the server's. */
declare class Timezone {
  constructor(name?: string);
  string(): string;
}

declare namespace time {
  /** A span of time in nanoseconds (Go's time.Duration); numeric in arithmetic. */
  interface Duration {
    valueOf(): number;
    nanoseconds(): number;
    microseconds(): number;
    milliseconds(): number;
    seconds(): number;
    minutes(): number;
    hours(): number;
    abs(): Duration;
    truncate(m: number): Duration;
    round(m: number): Duration;
    /** Go's format: "2h20m30.123s". */
    string(): string;
  }

  /** An instant seen in a time zone (Go's time.Time). */
  interface Time {
    add(d: number | Duration): Time;
    sub(u: Time): Duration;
    addDate(years: number, months: number, days: number): Time;
    after(u: Time): boolean;
    before(u: Time): boolean;
    equal(u: Time): boolean;
    compare(u: Time): number;
    isZero(): boolean;
    year(): number;
    /** 1-12 */
    month(): number;
    day(): number;
    hour(): number;
    minute(): number;
    second(): number;
    nanosecond(): number;
    /** 0 (Sunday) - 6 */
    weekday(): number;
    yearDay(): number;
    isoWeek(): [number, number];
    date(): [number, number, number];
    clock(): [number, number, number];
    /** [abbreviation, offset in seconds east of UTC] */
    zone(): [string, number];
    isDST(): boolean;
    /** The same instant in another zone. */
    in(loc: Timezone | string): Time;
    utc(): Time;
    local(): Time;
    location(): Timezone;
    unix(): number;
    unixMilli(): number;
    unixMicro(): number;
    unixNano(): number;
    truncate(d: number | Duration): Time;
    round(d: number | Duration): Time;
    /** Formats with a Go layout ("2006-01-02 15:04:05 MST"). */
    format(layout: string): string;
    string(): string;
    marshalJSON(): Array<number>;
    marshalText(): Array<number>;
  }
}

/**
 * A date time, always in UTC. `new DateTime()` and `new DateTime("")` are
 * now; `new DateTime("2023-07-01 00:00:00", "Europe/Amsterdam")` reads a
 * string without a zone in that zone (daylight saving included); an
 * unparsable string is the zero time.
 */
declare class DateTime {
  constructor(date?: string, defaultParseInLocation?: string);
  /** The instant as a Go-like time (UTC): `dt.time().in(new Timezone("Asia/Tokyo")).format("15:04")`. */
  time(): time.Time;
  isZero(): boolean;
  unix(): number;
  /** "2006-01-02 15:04:05.000Z" in UTC; "" for the zero time. */
  string(): string;
  /** Adds nanoseconds. */
  add(duration: number | time.Duration): DateTime;
  /** The time between `u` and this one. */
  sub(u: DateTime): time.Duration;
  addDate(years: number, months: number, days: number): DateTime;
  equal(other: DateTime): boolean;
  before(other: DateTime): boolean;
  after(other: DateTime): boolean;
  compare(other: DateTime): number;
  marshalJSON(): Array<number>;
  unmarshalJSON(data: string | Array<number>): void;
  /** Sets the time from a string, DateTime, Date or unix seconds. */
  scan(value: any): void;
  value(): string;
}

/** A field validation error for `ApiError` data. */
declare class ValidationError {
  constructor(code?: string, message?: string);
  code: string;
  message: string;
}

/** An HTTP cookie. */
declare class Cookie {
  constructor(options?: { name?: string; value?: string; path?: string; domain?: string; maxAge?: number; secure?: boolean; httpOnly?: boolean; sameSite?: number; [key: string]: any });
  name: string;
  value: string;
  path?: string;
  domain?: string;
  expires?: any;
  maxAge?: number;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: number;
}

/** A realtime message for `client.send()`: `data` is usually a JSON string. */
declare class SubscriptionMessage {
  constructor(options?: { name?: string; data?: string | Array<number> });
}

/** Form data for `$http.send({body})` (string values). */
declare class FormData {
  constructor();
  append(key: string, value: any): void;
  set(key: string, value: any): void;
  delete(key: string): void;
  get(key: string): any;
  has(key: string): boolean;
}

/** `$dbx` expressions, compiled to parametrised SQL. */
declare namespace $dbx {
  function exp(sql: string, params?: JsonMap): dbx.Expression;
  function hashExp(pairs: JsonMap): dbx.Expression;
  function not(expr: dbx.Expression): dbx.Expression;
  function and(...exprs: dbx.Expression[]): dbx.Expression;
  function or(...exprs: dbx.Expression[]): dbx.Expression;
  let _in: (col: string, ...values: any[]) => dbx.Expression;
  export { _in as in };
  function notIn(col: string, ...values: any[]): dbx.Expression;
  function like(col: string, ...values: string[]): dbx.Expression;
  function orLike(col: string, ...values: string[]): dbx.Expression;
  function notLike(col: string, ...values: string[]): dbx.Expression;
  function orNotLike(col: string, ...values: string[]): dbx.Expression;
  function exists(expr: dbx.Expression): dbx.Expression;
  function notExists(expr: dbx.Expression): dbx.Expression;
  function between(col: string, from: any, to: any): dbx.Expression;
  function notBetween(col: string, from: any, to: any): dbx.Expression;
}

/** The auth flows' mails, rendered from the record collection's templates. */
declare namespace $mails {
  function sendRecordPasswordReset(app: CoreApp, record: core.Record): void;
  function sendRecordVerification(app: CoreApp, record: core.Record): void;
  function sendRecordChangeEmail(app: CoreApp, record: core.Record, newEmail: string): void;
  function sendRecordOTP(app: CoreApp, record: core.Record, otpId: string, pass: string): void;
  function sendRecordAuthAlert(app: CoreApp, record: core.Record, info?: string): void;
}

/** Random strings, hashes, AES-256-GCM and HS256 JWTs. */
declare namespace $security {
  function randomString(length: number): string;
  function randomStringWithAlphabet(length: number, alphabet: string): string;
  /** Supports `[class]{n}` patterns (PocketBase accepts any regex). */
  function randomStringByRegex(pattern: string): string;
  function pseudorandomString(length: number): string;
  function pseudorandomStringWithAlphabet(length: number, alphabet: string): string;
  /** base64(nonce + AES-256-GCM sealed data); the key must be 32 characters. */
  function encrypt(data: string | Array<number>, key: string): string;
  function decrypt(cipherText: string, key: string): string | Array<number>;
  function hs256(text: string, secret: string): string;
  function hs512(text: string, secret: string): string;
  function equal(hash1: string, hash2: string): boolean;
  function md5(text: string): string;
  function sha256(text: string): string;
  function sha512(text: string): string;
  function createJWT(payload: JsonMap, signingKey: string, secDuration: number): string;
  function parseUnverifiedJWT(token: string): JsonMap;
  function parseJWT(token: string, verificationKey: string): JsonMap;
}

/** Files for record file fields (`record.set(field, file)`) and storages. */
declare namespace $filesystem {
  function fileFromPath(path: string): filesystem.File;
  function fileFromBytes(bytes: string | Array<number> | ArrayBuffer | Uint8Array, name: string): filesystem.File;
  function fileFromMultipart(header: filesystem.File): filesystem.File;
  /** Downloads the URL (status 200-399; `secTimeout` 120 by default). */
  function fileFromURL(url: string, secTimeout?: number): filesystem.File;
  function s3(bucket: string, region: string, endpoint: string, accessKey: string, secret: string, forcePathStyle?: boolean): filesystem.System;
  function local(dir: string): filesystem.System;
}

declare namespace filesystem {
  /** A file to store: `name` is the storage name, `originalName` the uploaded one. */
  interface File {
    name: string;
    originalName: string;
    size: number;
  }
  /** A storage: keys are slash-separated paths inside it. */
  interface System {
    exists(key: string): boolean;
    attributes(key: string): { contentType: string; size: number; modTime: string; metadata: { [key: string]: string }; md5: string | null };
    /** The content as bytes (`toString(reader)` gives the text). */
    getReader(key: string): Array<number> & { close(): void };
    getReuploadableFile(key: string, preserveName?: boolean): File;
    copy(srcKey: string, dstKey: string): void;
    list(prefix?: string): Array<{ key: string; size: number; modTime: string }>;
    upload(content: string | Array<number> | ArrayBuffer | Uint8Array, key: string): void;
    uploadFile(file: File, key: string): void;
    delete(key: string): void;
    /** Deletes every key under the prefix; returns the failures. */
    deletePrefix(prefix: string): string[];
    isEmptyDir(dir: string): boolean;
    createThumb(originalKey: string, thumbKey: string, thumbSize: string): void;
    close(): void;
  }
}

/** Slash-separated path helpers (Go's path/filepath). */
declare namespace $filepath {
  function base(path: string): string;
  function clean(path: string): string;
  function dir(path: string): string;
  function ext(path: string): string;
  function fromSlash(path: string): string;
  function glob(pattern: string): string[];
  function isAbs(path: string): boolean;
  function join(...elem: string[]): string;
  function match(pattern: string, name: string): boolean;
  function rel(basepath: string, targpath: string): string;
  function split(path: string): [string, string];
  function splitList(path: string): string[];
  function toSlash(path: string): string;
  function walk(root: string, fn: (path: string, info: os.FileInfo, err: any) => any): void;
  function walkDir(root: string, fn: (path: string, entry: os.FileInfo, err: any) => any): void;
}

declare namespace os {
  interface FileInfo {
    name(): string;
    size(): number;
    isDir(): boolean;
    mode(): number;
    modTime(): DateTime;
    type(): number;
    info(): FileInfo;
  }
  /** A prepared command; runs with the rest of the handler's time budget and 16 MiB of output at most. */
  interface Cmd {
    path: string;
    args: string[];
    dir: string;
    env: string[];
    stdin: any;
    run(): void;
    output(): Array<number>;
    combinedOutput(): Array<number>;
    string(): string;
  }
}

/** OS helpers: files, env, commands. */
declare namespace $os {
  let args: string[];
  function exit(code: number): void;
  function getenv(key: string): string;
  function readFile(name: string): Array<number>;
  function writeFile(name: string, data: string | Array<number>, perm?: number): void;
  function stat(name: string): os.FileInfo;
  function readDir(name: string): os.FileInfo[];
  function tempDir(): string;
  function getwd(): string;
  function mkdir(name: string, perm?: number): void;
  function mkdirAll(name: string, perm?: number): void;
  function rename(from: string, to: string): void;
  function remove(name: string): void;
  function removeAll(name: string): void;
  function truncate(name: string, size: number): void;
  function cmd(name: string, ...args: string[]): os.Cmd;
  /** Legacy alias of `cmd`. */
  function exec(name: string, ...args: string[]): os.Cmd;
  /** Not available yet: throws. */
  function dirFS(dir: string): any;
  /** Not available yet: throws. */
  function openRoot(dir: string): any;
  /** Not available yet: throws. */
  function openInRoot(dir: string, name: string): any;
}

/** Not available yet: the constructor throws. */
declare class AppleClientSecretCreateForm { constructor(app: CoreApp) }
/** Not available yet: the constructor throws. */
declare class RecordUpsertForm { constructor(app: CoreApp, record: core.Record) }
/** Not available yet: the constructor throws. */
declare class TestEmailSendForm { constructor(app: CoreApp) }
/** Not available yet: the constructor throws. */
declare class TestS3FilesystemForm { constructor(app: CoreApp) }

/** An API error: thrown from a handler it answers with its status and PocketBase's error JSON. */
declare class ApiError {
  constructor(status?: number, message?: string, data?: any);
  status: number;
  message: string;
  data: JsonMap;
}
declare class NotFoundError extends ApiError { constructor(message?: string, data?: any) }
declare class BadRequestError extends ApiError { constructor(message?: string, data?: any) }
declare class ForbiddenError extends ApiError { constructor(message?: string, data?: any) }
declare class UnauthorizedError extends ApiError { constructor(message?: string, data?: any) }
declare class TooManyRequestsError extends ApiError { constructor(message?: string, data?: any) }
declare class InternalServerError extends ApiError { constructor(message?: string, data?: any) }

/** Route middlewares and helpers. */
declare namespace $apis {
  /** Not available yet (static files from a dir): throws when the route runs. */
  function static(dirOrFS: string, indexFallback: boolean): (e: core.RequestEvent) => void;
  function requireGuestOnly(): Middleware;
  function requireAuth(...collections: string[]): Middleware;
  function requireSuperuserAuth(): Middleware;
  function requireSuperuserOrOwnerAuth(ownerIdPathParam?: string): Middleware;
  function skipSuccessActivityLog(): Middleware;
  /** Responses are not compressed yet: a passthrough. */
  function gzip(): Middleware;
  function bodyLimit(limitBytes: number): Middleware;
  function enrichRecord(e: core.RequestEvent, record: core.Record, ...expands: string[]): void;
  function enrichRecords(e: core.RequestEvent, records: core.Record[], ...expands: string[]): void;
  function recordAuthResponse(e: core.RequestEvent, authRecord: core.Record, authMethod: string, meta?: any): void;
}

/** Outgoing HTTP. */
declare namespace $http {
  /**
   * Sends one request and blocks until the answer (timeout: `timeout`
   * seconds, default 120, capped by the rest of the handler's budget).
   */
  function send(config: {
    url: string;
    body?: string | FormData;
    method?: string;
    headers?: { [key: string]: string };
    timeout?: number;
    /** @deprecated use body */
    data?: JsonMap;
  }): {
    statusCode: number;
    headers: { [key: string]: Array<string> };
    cookies: { [key: string]: JsonMap };
    json: any;
    body: Array<number>;
    /** @deprecated use toString(result.body) */
    raw: string;
  };
}

/** pb_migrations only: in a hook file it throws. */
declare function migrate(up: (txApp: CoreApp) => void, down?: (txApp: CoreApp) => void): void;

// Hook registrations: `onX((e) => { ...; e.next() }, ...tags)`.
// @generated global hooks (src/jsvm/bridge/hook_table.rs)

// ---------------------------------------------------------------------------
// Beyond PocketBase (Ferrobase only): timers and fetch() inside a handler.
// Hook files may also be ES modules (`import x from "./lib.js"`,
// `import data from "./data.json"`, `export ...`, top-level `await`), beside
// CommonJS `require()`; see the README.
// A handler may be `async`; its promise is driven to completion inside the
// handler's time budget, together with its timers and fetches. Whatever is
// still pending when the handler call ends is dropped.

/** Timer handle returned by `setTimeout`/`setInterval`. */
type TimerId = number;

/**
 * Calls `callback(...args)` once after `ms` milliseconds, inside the
 * running handler's time budget. A pending timeout keeps the handler call
 * alive until it fires (or the budget runs out).
 */
declare function setTimeout<A extends any[]>(callback: (...args: A) => void, ms?: number, ...args: A): TimerId;
/** Cancels a `setTimeout` timer (an unknown id is ignored). */
declare function clearTimeout(id: TimerId | undefined | null): void;
/**
 * Calls `callback(...args)` every `ms` milliseconds. An interval keeps the
 * handler call alive only while the handler's own promise is pending.
 */
declare function setInterval<A extends any[]>(callback: (...args: A) => void, ms?: number, ...args: A): TimerId;
/** Cancels a `setInterval` timer. */
declare function clearInterval(id: TimerId | undefined | null): void;

/** What `fetch()`, `Request` and `Response` accept as a body. */
type FetchBodyInit = string | ArrayBuffer | ArrayBufferView | JsonMap | any[] | null;
/** Header init: a `Headers`, `[name, value]` pairs or a name → value object. */
type FetchHeadersInit = Headers | [string, string][] | { [name: string]: string };

/** HTTP headers with case-insensitive names (WHATWG `Headers`). */
declare class Headers {
  constructor(init?: FetchHeadersInit);
  /** Adds a value (a header may repeat). */
  append(name: string, value: string): void;
  /** Replaces every value of `name`. */
  set(name: string, value: string): void;
  /** The values of `name` joined by ", ", or null. */
  get(name: string): string | null;
  /** Every `Set-Cookie` value. */
  getSetCookie(): string[];
  has(name: string): boolean;
  delete(name: string): void;
  forEach(fn: (value: string, name: string, headers: Headers) => void, thisArg?: any): void;
  /** `[name, value]` pairs, names lowercased and sorted. */
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/** Options of `fetch()` and `new Request()`. */
interface RequestInit {
  /** HTTP method (default GET; the common ones are uppercased). */
  method?: string;
  headers?: FetchHeadersInit;
  /** A string (text/plain), bytes, or (Ferrobase extension) a plain object or array sent as JSON. */
  body?: FetchBodyInit;
  /** Aborts the request (e.g. `AbortSignal.timeout(ms)`). */
  signal?: AbortSignal | null;
  /** Ferrobase: request timeout in milliseconds (default 30000, capped by the handler's budget left). */
  timeout?: number;
  /** Ferrobase: largest response body accepted in bytes (default 32 MiB); a larger one rejects. */
  maxResponseSize?: number;
}

/** The body readers shared by `Request` and `Response`; each body reads once. */
interface FetchBody {
  readonly bodyUsed: boolean;
  /** The body bytes, or null. */
  readonly body: Uint8Array | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  /** The body decoded as UTF-8. */
  text(): Promise<string>;
  /** The body parsed as JSON. */
  json(): Promise<any>;
}

/** An HTTP request for `fetch()` (WHATWG `Request` subset). */
declare class Request implements FetchBody {
  constructor(input: string | Request, init?: RequestInit);
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly signal: AbortSignal | null;
  readonly timeout: number | undefined;
  readonly maxResponseSize: number | undefined;
  readonly bodyUsed: boolean;
  readonly body: Uint8Array | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  clone(): Request;
}

/** Options of `new Response()`. */
interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: FetchHeadersInit;
}

/** An HTTP response (WHATWG `Response` subset); `fetch()` resolves to one. */
declare class Response implements FetchBody {
  constructor(body?: FetchBodyInit, init?: ResponseInit);
  /** Whether the status is 200–299. */
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The final URL (after redirects). */
  readonly url: string;
  readonly redirected: boolean;
  readonly type: string;
  readonly bodyUsed: boolean;
  readonly body: Uint8Array | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  clone(): Response;
  /** A JSON response. */
  static json(data: any, init?: ResponseInit): Response;
  static error(): Response;
  static redirect(url: string, status?: number): Response;
}

/** Aborts a `fetch()` (WHATWG `AbortSignal` subset). */
declare class AbortSignal {
  readonly aborted: boolean;
  readonly reason: any;
  onabort: ((ev: { type: string; target: AbortSignal }) => void) | null;
  throwIfAborted(): void;
  addEventListener(type: "abort", fn: (ev: { type: string; target: AbortSignal }) => void): void;
  removeEventListener(type: "abort", fn: (ev: { type: string; target: AbortSignal }) => void): void;
  /** A signal already aborted. */
  static abort(reason?: any): AbortSignal;
  /** A signal that aborts with a TimeoutError after `ms` milliseconds. */
  static timeout(ms: number): AbortSignal;
}

/** Owns an `AbortSignal` and aborts it. */
declare class AbortController {
  constructor();
  readonly signal: AbortSignal;
  abort(reason?: any): void;
}

/**
 * WHATWG fetch: the request runs off the JS thread through the same HTTP
 * client as `$http.send` (rustls) and the handler awaits it inside its time
 * budget. Rejects with a TypeError on network errors, timeouts (`timeout`,
 * default 30 s, capped by the budget left) and bodies over `maxResponseSize`
 * (default 32 MiB); an HTTP error status still resolves (`res.ok` is false).
 */
declare function fetch(input: string | Request, init?: RequestInit): Promise<Response>;
