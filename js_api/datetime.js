// DateTime (PocketBase's types.DateTime, always UTC), Timezone, and the
// Go values behind them: `dt.time()` is a time.Time in a zone (`in`,
// `format` with Go layouts, calendar fields, `zone`, `truncate`, …) and
// `dt.sub(other)` a time.Duration (nanoseconds, `hours()`, `string()`).
// Zone offsets come from the IANA database in the binary (__native.tz*).

const __pbZeroMs = -62135596800000; // 0001-01-01 00:00:00 UTC, Go's zero time

__pb.pad = (n, w) => String(n).padStart(w || 2, "0");

// A zone name from a Timezone, a string or nothing ("UTC").
__pb.zoneName = function (loc) {
  if (loc instanceof Timezone) return loc.__name;
  if (loc == null || loc === "") return "UTC";
  return String(loc);
};

class Timezone {
  // An IANA zone ("Europe/Paris"), "UTC" or "Local"; an unknown name is UTC.
  constructor(name) {
    const n = name == null || name === "" ? "UTC" : String(name);
    Object.defineProperty(this, "__name", { value: __native.tzValid(n) ? n : "UTC" });
  }
  string() {
    return this.__name;
  }
  toString() {
    return this.__name;
  }
}

class __PbDuration {
  constructor(ns) {
    Object.defineProperty(this, "__ns", { value: Number(ns) || 0 });
  }
  valueOf() {
    return this.__ns;
  }
  nanoseconds() {
    return this.__ns;
  }
  microseconds() {
    return Math.trunc(this.__ns / 1e3);
  }
  milliseconds() {
    return Math.trunc(this.__ns / 1e6);
  }
  seconds() {
    return this.__ns / 1e9;
  }
  minutes() {
    return this.__ns / 6e10;
  }
  hours() {
    return this.__ns / 3.6e12;
  }
  abs() {
    return new __PbDuration(Math.abs(this.__ns));
  }
  truncate(m) {
    m = Number(m);
    return m <= 0 ? this : new __PbDuration(this.__ns - (this.__ns % m));
  }
  round(m) {
    m = Number(m);
    if (m <= 0) return this;
    const r = this.__ns % m;
    const down = this.__ns - r;
    return new __PbDuration(Math.abs(r) * 2 < m ? down : down + Math.sign(this.__ns || 1) * m);
  }
  // Go's format: "2h20m30.123s", "1.5ms", "0s".
  string() {
    let ns = this.__ns;
    if (ns === 0) return "0s";
    const neg = ns < 0;
    ns = Math.abs(ns);
    const trim = (s) => s.replace(/\.?0+$/, "");
    let out;
    if (ns < 1e3) {
      out = ns + "ns";
    } else if (ns < 1e6) {
      out = trim((ns / 1e3).toFixed(3)) + "µs";
    } else if (ns < 1e9) {
      out = trim((ns / 1e6).toFixed(6)) + "ms";
    } else {
      const h = Math.floor(ns / 3.6e12);
      const m = Math.floor((ns % 3.6e12) / 6e10);
      const s = trim(((ns % 6e10) / 1e9).toFixed(9)) + "s";
      out = (h ? h + "h" + m + "m" : m ? m + "m" : "") + s;
    }
    return (neg ? "-" : "") + out;
  }
  toString() {
    return this.string();
  }
  toJSON() {
    return this.__ns;
  }
}

__pb.monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
__pb.dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

// Go's time.Time: an instant (unix ms + extra nanoseconds) seen in a zone.
class __PbTime {
  constructor(ms, sub, loc) {
    Object.defineProperty(this, "__ms", { value: ms });
    Object.defineProperty(this, "__sub", { value: sub || 0 });
    Object.defineProperty(this, "__loc", { value: loc || "UTC" });
  }
  // [offsetSeconds, abbreviation, isDST] of the zone at this instant
  __zone() {
    if (this.__z === undefined) {
      const z = this.__loc === "UTC" ? [0, "UTC", false] : __native.tzAt(this.__loc, this.__ms);
      Object.defineProperty(this, "__z", { value: z });
    }
    return this.__z;
  }
  // the wall clock as a JS Date read with UTC getters
  __wall() {
    return new Date(this.__ms + this.__zone()[0] * 1000);
  }
  __with(ms, sub) {
    return new __PbTime(ms, sub, this.__loc);
  }
  add(d) {
    const total = this.__sub + Number(d);
    const ms = Math.floor(total / 1e6);
    return this.__with(this.__ms + ms, total - ms * 1e6);
  }
  sub(u) {
    return new __PbDuration((this.__ms - u.__ms) * 1e6 + (this.__sub - u.__sub));
  }
  addDate(years, months, days) {
    const w = this.__wall();
    const wall = Date.UTC(w.getUTCFullYear() + (years || 0), w.getUTCMonth() + (months || 0),
      w.getUTCDate() + (days || 0), w.getUTCHours(), w.getUTCMinutes(), w.getUTCSeconds(), w.getUTCMilliseconds());
    return this.__with(__pb.fromWall(wall, this.__loc), this.__sub);
  }
  after(u) {
    return this.compare(u) > 0;
  }
  before(u) {
    return this.compare(u) < 0;
  }
  equal(u) {
    return this.compare(u) === 0;
  }
  compare(u) {
    return Math.sign(this.__ms - u.__ms || this.__sub - u.__sub);
  }
  isZero() {
    return this.__ms === __pbZeroMs && this.__sub === 0;
  }
  year() {
    return this.__wall().getUTCFullYear();
  }
  month() {
    return this.__wall().getUTCMonth() + 1;
  }
  day() {
    return this.__wall().getUTCDate();
  }
  hour() {
    return this.__wall().getUTCHours();
  }
  minute() {
    return this.__wall().getUTCMinutes();
  }
  second() {
    return this.__wall().getUTCSeconds();
  }
  nanosecond() {
    return (((this.__ms % 1000) + 1000) % 1000) * 1e6 + this.__sub;
  }
  weekday() {
    return this.__wall().getUTCDay();
  }
  yearDay() {
    const w = this.__wall();
    return Math.floor((w.getTime() - Date.UTC(w.getUTCFullYear(), 0, 1)) / 864e5) + 1;
  }
  // [year, week] of the ISO 8601 week
  isoWeek() {
    const w = this.__wall();
    const d = new Date(Date.UTC(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate()));
    d.setUTCDate(d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7));
    const jan4 = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
    return [d.getUTCFullYear(), 1 + Math.round(((d - jan4) / 864e5 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7)];
  }
  date() {
    return [this.year(), this.month(), this.day()];
  }
  clock() {
    return [this.hour(), this.minute(), this.second()];
  }
  // [abbreviation, offsetSeconds]
  zone() {
    const z = this.__zone();
    return [z[1], z[0]];
  }
  isDST() {
    return this.__zone()[2];
  }
  in(loc) {
    return new __PbTime(this.__ms, this.__sub, __pb.zoneName(loc));
  }
  utc() {
    return this.in("UTC");
  }
  local() {
    return this.in(__native.tzLocal());
  }
  location() {
    return new Timezone(this.__loc);
  }
  unix() {
    return Math.floor(this.__ms / 1000);
  }
  unixMilli() {
    return this.__ms;
  }
  unixMicro() {
    return this.__ms * 1000 + Math.floor(this.__sub / 1000);
  }
  unixNano() {
    return this.__ms * 1e6 + this.__sub;
  }
  // Go truncates/rounds the time since the zero time to a multiple of d.
  truncate(d) {
    return this.__roundTo(d, false);
  }
  round(d) {
    return this.__roundTo(d, true);
  }
  __roundTo(d, nearest) {
    const m = BigInt(Math.trunc(Number(d)));
    if (m <= 0n) return this;
    const abs = BigInt(this.__ms - __pbZeroMs) * 1000000n + BigInt(this.__sub);
    let r = abs % m;
    let shift = -r;
    if (nearest && r + r >= m) shift = m - r;
    const ns = abs + shift;
    const ms = ns / 1000000n;
    return this.__with(Number(ms) + __pbZeroMs, Number(ns - ms * 1000000n));
  }
  format(layout) {
    return __pb.goFormat(this, String(layout));
  }
  // Go's default form: "2006-01-02 15:04:05.999999999 -0700 MST"
  string() {
    return this.format("2006-01-02 15:04:05.999999999 -0700 MST");
  }
  toString() {
    return this.string();
  }
  marshalJSON() {
    return toBytes(JSON.stringify(this.format(__pb.rfc3339Nano)));
  }
  marshalText() {
    return toBytes(this.format(__pb.rfc3339Nano));
  }
  toJSON() {
    return this.format(__pb.rfc3339Nano);
  }
}

__pb.rfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00";

// Unix ms of a wall-clock time (ms since the epoch read as UTC) in `loc`.
__pb.fromWall = function (wall, loc) {
  if (loc === "UTC") return wall;
  const d = new Date(wall);
  return __native.tzFromLocal(loc, [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(),
    d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]);
};

// Go layout chunks, longest first among those sharing a prefix.
__pb.goChunks = ["January", "Jan", "Monday", "Mon", "MST", "2006", "002", "01", "02", "03", "04", "05", "06",
  "15", "1", "__2", "_2", "2", "3", "4", "5", "PM", "pm", "-07:00:00", "-070000", "-07:00", "-0700", "-07",
  "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07"];

__pb.goFormat = function (t, layout) {
  const w = t.__wall();
  const [offset, abbr] = t.__zone();
  const p = __pb.pad;
  const hour = w.getUTCHours();
  const ns = t.nanosecond();
  const zoneOf = (chunk) => {
    if (chunk[0] === "Z" && offset === 0) return "Z";
    const sign = offset < 0 ? "-" : "+";
    const a = Math.abs(offset);
    const hh = p(Math.floor(a / 3600));
    const mm = p(Math.floor((a % 3600) / 60));
    const ss = p(a % 60);
    switch (chunk.slice(1)) {
      case "07:00:00": return sign + hh + ":" + mm + ":" + ss;
      case "070000": return sign + hh + mm + ss;
      case "07:00": return sign + hh + ":" + mm;
      case "0700": return sign + hh + mm;
      default: return sign + hh;
    }
  };
  let out = "";
  let i = 0;
  while (i < layout.length) {
    const c = layout[i];
    // fractional seconds: .000 (fixed) or .999 (trailing zeros trimmed)
    if ((c === "." || c === ",") && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
      let j = i + 1;
      while (layout[j] === layout[i + 1]) j++;
      if (!(layout[j] >= "0" && layout[j] <= "9")) {
        const digits = p(ns, 9).slice(0, j - i - 1);
        if (layout[i + 1] === "0") {
          out += c + digits;
        } else {
          const trimmed = digits.replace(/0+$/, "");
          if (trimmed) out += c + trimmed;
        }
        i = j;
        continue;
      }
    }
    const chunk = __pb.goChunks.find((k) => layout.startsWith(k, i) && !(k === "1" && layout[i + 1] === "5"));
    if (chunk === undefined) {
      out += c;
      i++;
      continue;
    }
    i += chunk.length;
    switch (chunk) {
      case "January": out += __pb.monthNames[w.getUTCMonth()]; break;
      case "Jan": out += __pb.monthNames[w.getUTCMonth()].slice(0, 3); break;
      case "Monday": out += __pb.dayNames[w.getUTCDay()]; break;
      case "Mon": out += __pb.dayNames[w.getUTCDay()].slice(0, 3); break;
      case "MST": out += abbr; break;
      case "2006": out += p(w.getUTCFullYear(), 4); break;
      case "06": out += p(w.getUTCFullYear() % 100); break;
      case "002": out += p(t.yearDay(), 3); break;
      case "__2": out += String(t.yearDay()).padStart(3, " "); break;
      case "01": out += p(w.getUTCMonth() + 1); break;
      case "1": out += w.getUTCMonth() + 1; break;
      case "02": out += p(w.getUTCDate()); break;
      case "_2": out += String(w.getUTCDate()).padStart(2, " "); break;
      case "2": out += w.getUTCDate(); break;
      case "15": out += p(hour); break;
      case "03": out += p(hour % 12 || 12); break;
      case "3": out += hour % 12 || 12; break;
      case "04": out += p(w.getUTCMinutes()); break;
      case "4": out += w.getUTCMinutes(); break;
      case "05": out += p(w.getUTCSeconds()); break;
      case "5": out += w.getUTCSeconds(); break;
      case "PM": out += hour >= 12 ? "PM" : "AM"; break;
      case "pm": out += hour >= 12 ? "pm" : "am"; break;
      default: out += zoneOf(chunk);
    }
  }
  return out;
};

// Parses PocketBase's date strings (`2006-01-02 15:04:05.000Z`, RFC 3339,
// date only, …); a string without a zone is a wall time in `loc`.
// Returns a __PbTime in UTC, or null.
__pb.parseTime = function (s, loc) {
  s = String(s).trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?(?:\s+[A-Z]{2,5})?$/i.exec(s);
  if (m) {
    const frac = (m[7] || "").padEnd(9, "0").slice(0, 9);
    const millis = Number(frac.slice(0, 3));
    const sub = Number(frac.slice(3));
    const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] || 0), Number(m[5] || 0),
      Number(m[6] || 0), millis);
    if (isNaN(wall)) return null;
    if (m[1] < "0100") {
      // Date.UTC maps years below 100 to 19xx
      const d = new Date(wall);
      d.setUTCFullYear(Number(m[1]));
      return __pb.parsedAt(d.getTime(), sub, m[8], loc);
    }
    return __pb.parsedAt(wall, sub, m[8], loc);
  }
  const t = Date.parse(s);
  return isNaN(t) ? null : new __PbTime(t, 0, "UTC");
};

__pb.parsedAt = function (wall, sub, zone, loc) {
  if (zone === undefined) {
    return new __PbTime(__pb.fromWall(wall, __pb.zoneName(loc)), sub, "UTC");
  }
  if (zone.toUpperCase() === "Z") return new __PbTime(wall, sub, "UTC");
  const digits = zone.replace(":", "");
  const offset = (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0)) * (zone[0] === "-" ? -1 : 1);
  return new __PbTime(wall - offset * 60000, sub, "UTC");
};

class DateTime {
  // new DateTime() is now; new DateTime("2023-07-01 00:00:00", "Europe/Amsterdam")
  // reads a zone-less string in that zone. An unparsable string is the
  // zero time, like PocketBase.
  constructor(date, defaultParseInLocation) {
    let t;
    if (date instanceof DateTime) {
      t = date.__t;
    } else if (date instanceof __PbTime) {
      t = date.utc();
    } else if (date instanceof Date) {
      t = new __PbTime(date.getTime(), 0, "UTC");
    } else if (typeof date === "string" && date !== "") {
      t = __pb.parseTime(date, defaultParseInLocation) || new __PbTime(__pbZeroMs, 0, "UTC");
    } else {
      t = new __PbTime(Date.now(), 0, "UTC");
    }
    Object.defineProperty(this, "__t", { value: t, writable: true });
  }
  time() {
    return this.__t;
  }
  isZero() {
    return this.__t.isZero();
  }
  unix() {
    return this.__t.unix();
  }
  // "2006-01-02 15:04:05.000Z" in UTC; "" for the zero time
  string() {
    if (this.isZero()) return "";
    return this.__t.format("2006-01-02 15:04:05.000Z");
  }
  add(duration) {
    return new DateTime(this.__t.add(duration));
  }
  sub(u) {
    return this.__t.sub(u.__t);
  }
  addDate(years, months, days) {
    return new DateTime(this.__t.addDate(years, months, days));
  }
  after(u) {
    return this.__t.after(u.__t);
  }
  before(u) {
    return this.__t.before(u.__t);
  }
  compare(u) {
    return this.__t.compare(u.__t);
  }
  equal(u) {
    return u instanceof DateTime && this.__t.equal(u.__t);
  }
  marshalJSON() {
    return toBytes(JSON.stringify(this.string()));
  }
  unmarshalJSON(data) {
    const text = typeof data === "string" ? data : toString(data);
    this.scan(JSON.parse(text));
  }
  // Sets the time from a string, a DateTime, a Date or unix seconds.
  scan(value) {
    if (value instanceof DateTime) {
      this.__t = value.__t;
    } else if (value instanceof Date) {
      this.__t = new __PbTime(value.getTime(), 0, "UTC");
    } else if (typeof value === "number") {
      this.__t = new __PbTime(value * 1000, 0, "UTC");
    } else {
      const s = value == null ? "" : String(value);
      this.__t = (s !== "" && __pb.parseTime(s, "UTC")) || new __PbTime(__pbZeroMs, 0, "UTC");
    }
  }
  value() {
    return this.string();
  }
  toJSON() {
    return this.string();
  }
  toString() {
    return this.string();
  }
}

Object.assign(globalThis, { DateTime, Timezone });
