/// <reference path="../pb_data/types.d.ts" />

// A custom route. Path params use `{name}` (one segment) or `{name...}`
// (the rest of the path); `e.json`, `e.string`, `e.html`, `e.redirect`,
// `e.noContent` and `e.blob` write the response.
//
//   GET /api/examples/hello/Ada?greeting=Hi  →  {"message": "Hi, Ada!"}
routerAdd("GET", "/api/examples/hello/{name}", (e) => {
  const name = e.request.pathValue("name");
  const greeting = e.request.url.query().get("greeting") || "Hello";
  return e.json(200, { message: `${greeting}, ${name}!` });
});

// Routes can also read a JSON or form body through requestInfo().
//
//   POST /api/examples/sum {"numbers": [1, 2, 3]}  →  {"sum": 6}
routerAdd("POST", "/api/examples/sum", (e) => {
  const numbers = e.requestInfo().body.numbers;
  if (!Array.isArray(numbers)) {
    throw new BadRequestError("numbers must be an array", {
      numbers: new ValidationError("validation_invalid_array", "Must be an array."),
    });
  }
  return e.json(200, { sum: numbers.reduce((a, b) => a + Number(b), 0) });
});
