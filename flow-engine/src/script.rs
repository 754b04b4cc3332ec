//! The Rhai sandbox: one engine with hard limits, shared by every call.
//!
//! Scripts and expressions see exactly five names: `vars` (the flow's variables; scripts may
//! change them), and the read-only `call`, `input`, `tenant` and `customer`. Besides Rhai's standard
//! functions, the engine offers deterministic helpers (no clock, no randomness):
//!
//! - `regex_match(text, pattern) -> bool`, `regex_find(text, pattern) -> string or ()`,
//!   `regex_replace(text, pattern, replacement) -> string` (`$1`, `${name}` in the replacement),
//!   `regex_captures(text, pattern) -> array` (`[whole, group1, …]` of the first match, `()` for
//!   a group that did not take part, `[]` when nothing matches);
//! - `json_parse(text) -> value` (`null` becomes `()`), `to_json(value) -> string`;
//! - `date_parts(epoch_ms, utc_offset_minutes) -> #{year, month, day, hour, minute, second,
//!   weekday}` (weekday 1 = Monday … 7 = Sunday), `format_date(epoch_ms, utc_offset_minutes,
//!   format)` with `%Y %m %d %H %M %S %%`, `days_between(epoch_ms_a, epoch_ms_b)` and
//!   `days_between(epoch_ms_a, epoch_ms_b, utc_offset_minutes)`: calendar days from a to b
//!   (negative when b is earlier), in UTC or at the given offset;
//! - `digits_only(text)` (full-width digits become ASCII), `mask(text, keep_last)`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rhai::{
    ASTNode, Array, Caches, Dynamic, Engine, EvalAltResult, Expr, ImmutableString, LexError, Map,
    ParseError, ParseErrorType, Position, Scope, Stmt, Token, AST, INT,
};

use crate::calendar::{Date, MAX_UTC_OFFSET_MINUTES, MS_PER_DAY};
use crate::messages::{term, Arg, Locale, Message};
use crate::msg;

/// The names a script or expression can see.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    /// The flow's variables; scripts may change them.
    pub vars: Map,
    /// Facts about the call (read-only): channel, from, to, direction, call_id, started_at.
    pub call: Map,
    /// The caller's last input (read-only): text, digits, intent, confidence.
    pub input: Map,
    /// The tenant's settings (read-only): name, api, …
    pub tenant: Map,
    /// The caller as the tenant's customer lookup found them (read-only; empty when unknown).
    pub customer: Map,
}

/// Resource limits for scripts and expressions.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_function_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// Wall-clock budget of one evaluation.
    pub deadline: Duration,
}

/// A syntax error with its place in the source (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct SyntaxError {
    /// The mistake in English, as the sandbox words it.
    pub message: String,
    /// The mistake for a flow author, worded from the catalogues.
    pub text: Message,
    pub line: u32,
    pub column: u32,
}

/// Why an evaluation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptErrorKind {
    /// An error raised by the script or a type error.
    Runtime,
    /// The operation limit was reached (e.g. an endless loop).
    TooManyOperations,
    /// The wall-clock deadline passed.
    Deadline,
    /// Too deep recursion or nesting.
    StackOverflow,
    /// A string, array or map grew past its limit.
    DataTooLarge,
    /// The script left a value in `vars` that cannot be stored (e.g. a function pointer).
    UnstorableValue,
}

/// A failed evaluation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScriptError {
    pub kind: ScriptErrorKind,
    /// The failure in English, as the sandbox words it.
    pub message: String,
    /// The failure for a flow author, worded from the catalogues.
    pub text: Message,
    pub line: u32,
    pub column: u32,
}

/// The sandboxed engine.
pub struct Sandbox {
    engine: Engine,
    limits: Limits,
    /// Tells this sandbox's function resolutions from another's (see [`Resolved`]).
    id: u64,
}

const VARS: &str = "vars";
const CALL: &str = "call";
const INPUT: &str = "input";
const TENANT: &str = "tenant";
const CUSTOMER: &str = "customer";
const READ_ONLY: [&str; 4] = [CALL, INPUT, TENANT, CUSTOMER];

/// The value `on_progress` terminates a run with when the deadline passes.
const DEADLINE_TOKEN: &str = "callflow:deadline";
/// How many operations pass between two looks at the clock.
const CLOCK_EVERY: u64 = 256;

const REGEX_CACHE_SIZE: usize = 64;
/// Bounds the memory one cached regex may take (the crate's default is 10 MiB).
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

thread_local! {
    /// When the running evaluation on this thread passed its first `CLOCK_EVERY` operations.
    static CLOCK_STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    static SLOTS: RefCell<Slots> = RefCell::new(Slots { scope: Scope::new(), ready: false });
    static REGEXES: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
    static RESOLVED: RefCell<Resolved> = const { RefCell::new(Resolved { sandbox: None, caches: Caches::new() }) };
}

/// The functions Rhai resolved for one sandbox's evaluations on this thread. Rhai looks a
/// function up (through its packages, by name and argument types) on its first call in an
/// evaluation and caches the answer for the rest of it; kept across evaluations, a script's
/// `len()` and `sub_string()` are looked up once per thread rather than once per turn. Only
/// scripts that define no functions of their own share it: their calls can only resolve to
/// the engine's functions, which never change.
struct Resolved {
    sandbox: Option<u64>,
    caches: Caches,
}

/// A bound on the resolutions kept: each distinct function and argument types called takes
/// one, and scripts call few.
const RESOLVED_MAX: usize = 4096;

impl Sandbox {
    pub fn new(limits: Limits) -> Self {
        let mut engine = Engine::new();
        engine
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_levels)
            .set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_strict_variables(true);
        engine.disable_symbol("eval");
        // Rhai reserves `call` (for `call(fn_ptr, …)`), yet it is one of our five names. As an
        // identifier it still works in both function positions: `call(f, x)` and `f.call(x)`.
        #[allow(deprecated)] // "volatile", not deprecated; pinned by the lock file
        engine.on_parse_token(|token, _, _| match token {
            Token::Reserved(word) if word.as_str() == CALL => Token::Identifier(word),
            other => other,
        });
        engine.on_print(|_| {}).on_debug(|_, _, _| {});

        let deadline = limits.deadline;
        engine.on_progress(move |operations| {
            if operations % CLOCK_EVERY != 0 {
                return None;
            }
            // The clock starts at the first check rather than when the evaluation begins: most
            // expressions finish in far fewer operations and so never pay for reading the clock.
            // The operation count restarts with every evaluation, so no stale start survives.
            CLOCK_STARTED.with(|started| {
                if operations == CLOCK_EVERY {
                    started.set(Some(Instant::now()));
                    None
                } else if started.get().is_some_and(|t| t.elapsed() > deadline) {
                    Some(Dynamic::from(ImmutableString::from(DEADLINE_TOKEN)))
                } else {
                    None
                }
            })
        });

        register_helpers(&mut engine, &limits);
        static SANDBOXES: AtomicU64 = AtomicU64::new(0);
        Sandbox {
            engine,
            limits,
            id: SANDBOXES.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Evaluates `ast` in `scope` as `Engine::eval_ast_with_scope` does, with the function
    /// resolutions of this sandbox's earlier evaluations on this thread (see [`Resolved`]).
    fn evaluate(
        &self,
        scope: &mut Scope<'static>,
        ast: &AST,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        if !ast.shared_lib().is_empty() {
            return self.engine.eval_ast_with_scope::<Dynamic>(scope, ast);
        }
        RESOLVED.with(|cell| {
            let Ok(mut resolved) = cell.try_borrow_mut() else {
                // Only reachable if an evaluation ever ran inside another one on this thread.
                return self.engine.eval_ast_with_scope::<Dynamic>(scope, ast);
            };
            let full = resolved.caches.fn_resolution_caches_len() > 0
                && resolved.caches.fn_resolution_cache_mut().dict.len() > RESOLVED_MAX;
            if resolved.sandbox != Some(self.id) || full {
                *resolved = Resolved {
                    sandbox: Some(self.id),
                    caches: Caches::new(),
                };
            }
            // What `eval_ast_with_scope` does, but for the caches it is given.
            let mut global = self.engine.new_global_runtime_state();
            global.lib.push(ast.shared_lib().clone());
            #[allow(deprecated)] // "internals", pinned by the lock file
            self.engine.eval_statements_raw(
                &mut global,
                &mut resolved.caches,
                scope,
                ast.statements(),
            )
        })
    }

    /// The process-wide sandbox with default limits, built once.
    pub fn shared() -> Arc<Sandbox> {
        static SHARED: OnceLock<Arc<Sandbox>> = OnceLock::new();
        SHARED
            .get_or_init(|| Arc::new(Sandbox::new(Limits::default())))
            .clone()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Compiles a script; only `vars`, `call`, `input`, `tenant`, `customer` and the script's own
    /// variables may be used (strict variables).
    pub fn compile_script(&self, code: &str) -> Result<AST, SyntaxError> {
        let ast = self
            .engine
            .compile_with_scope(&compile_scope(), code)
            .map_err(|e| syntax_error(&e))?;
        check_assignments(&ast)?;
        Ok(ast)
    }

    /// Compiles one expression (a branch condition or a template's `{{ expr }}`).
    pub fn compile_expression(&self, expr: &str) -> Result<AST, SyntaxError> {
        self.engine
            .compile_expression_with_scope(&compile_scope(), expr)
            .map_err(|e| syntax_error(&e))
    }

    /// Evaluates an expression; it cannot change the bindings.
    pub fn eval_expression(
        &self,
        ast: &AST,
        bindings: &mut Bindings,
    ) -> Result<Dynamic, ScriptError> {
        let (result, _) = with_scope(bindings, None, |scope| self.evaluate(scope, ast));
        result.map_err(|e| self.runtime_error(&e))
    }

    /// Runs a script. It may change `bindings.vars`; on any error `vars` is left as it was.
    pub fn run_script(&self, ast: &AST, bindings: &mut Bindings) -> Result<(), ScriptError> {
        // The script works on a copy, so `bindings.vars` only changes once everything went well.
        let working = bindings.vars.clone();
        let (result, vars) = with_scope(bindings, Some(working), |scope| {
            self.evaluate(scope, ast).map(|_| ())
        });
        result.map_err(|e| self.runtime_error(&e))?;
        match vars {
            Some(Ok(vars)) => match unstorable(&vars) {
                None => {
                    bindings.vars = vars;
                    Ok(())
                }
                Some(text) => Err(unstorable_error(text)),
            },
            Some(Err(other)) => Err(unstorable_error(msg!(
                "script.vars_replaced",
                what = describe_type(&other)
            ))),
            None => Err(unstorable_error(term("script.vars_lost"))),
        }
    }

    fn runtime_error(&self, error: &EvalAltResult) -> ScriptError {
        let inner = error.unwrap_inner();
        let position = if inner.position().is_none() {
            error.position()
        } else {
            inner.position()
        };
        let (line, column) = line_column(position);
        let limits = &self.limits;
        let (kind, text) = match inner {
            EvalAltResult::ErrorTooManyOperations(_) => (
                ScriptErrorKind::TooManyOperations,
                msg!("script.too_many_operations", limit = limits.max_operations),
            ),
            EvalAltResult::ErrorTerminated(token, _) if is_deadline_token(token) => (
                ScriptErrorKind::Deadline,
                msg!(
                    "script.deadline",
                    ms = limits.deadline.as_millis().to_string()
                ),
            ),
            EvalAltResult::ErrorStackOverflow(_) => (
                ScriptErrorKind::StackOverflow,
                msg!("script.stack_overflow", levels = limits.max_call_levels),
            ),
            EvalAltResult::ErrorParsing(ParseErrorType::ExprTooDeep, _) => {
                (ScriptErrorKind::StackOverflow, term("script.too_deep"))
            }
            EvalAltResult::ErrorDataTooLarge(what, _) => {
                (ScriptErrorKind::DataTooLarge, self.too_large_message(what))
            }
            other => (ScriptErrorKind::Runtime, runtime_message(other)),
        };
        let text = match error {
            EvalAltResult::ErrorInFunctionCall(name, ..)
                if !name.is_empty() && !name.starts_with("anon$") =>
            {
                msg!("script.in_function", error = text, function = name)
            }
            _ => text,
        };
        let mut failure = ScriptError::new(kind, text, line, column);
        if failure.text.key == "script.failed" {
            // Rhai's own words say more to whoever reads the logs.
            failure.message = plain(inner);
        }
        failure
    }

    fn too_large_message(&self, what: &str) -> Message {
        let limits = &self.limits;
        if what.contains("string") {
            msg!("script.text_too_long", limit = limits.max_string_size)
        } else if what.contains("array") {
            msg!("script.list_too_long", limit = limits.max_array_size)
        } else if what.contains("map") {
            msg!("script.map_too_large", limit = limits.max_map_size)
        } else {
            term("script.too_large")
        }
    }
}

/// What went wrong, for the errors that are the script's own mistakes rather than a limit. Rhai's
/// own words are English, so each kind is worded from the catalogues; only what the author
/// wrote (a thrown value, a name, a function's signature) passes through as it is.
fn runtime_message(error: &EvalAltResult) -> Message {
    match error {
        EvalAltResult::ErrorRuntime(value, _) if value.is_unit() => term("script.thrown"),
        EvalAltResult::ErrorRuntime(value, _) => match helper_failure_worded(value) {
            Some(worded) => msg!("script.thrown_value", value = worded),
            None => msg!("script.thrown_value", value = value.to_string()),
        },
        EvalAltResult::ErrorAssignmentToConstant(name, _) if !name.is_empty() => {
            msg!("script.read_only", name = name)
        }
        EvalAltResult::ErrorAssignmentToConstant(..) => term("script.read_only_value"),
        EvalAltResult::ErrorNonPureMethodCallOnConstant(function, _) => {
            msg!("script.changes_read_only", function = function)
        }
        EvalAltResult::ErrorVariableNotFound(name, _) if NAMES.contains(&name.as_str()) => {
            msg!("script.not_in_function", name = name)
        }
        EvalAltResult::ErrorVariableNotFound(name, _)
        | EvalAltResult::ErrorForbiddenVariable(name, _) => {
            msg!("script.unknown_variable", name = name)
        }
        EvalAltResult::ErrorVariableExists(name, _) => {
            msg!("script.variable_exists", name = name)
        }
        EvalAltResult::ErrorPropertyNotFound(name, _) => {
            msg!("script.unknown_property", name = name)
        }
        EvalAltResult::ErrorFunctionNotFound(signature, _) => {
            msg!("script.function_not_found", signature = signature)
        }
        EvalAltResult::ErrorModuleNotFound(name, _) | EvalAltResult::ErrorInModule(name, ..) => {
            msg!("script.modules", word = name)
        }
        EvalAltResult::ErrorUnboundThis(_) => term("script.unbound_this"),
        EvalAltResult::ErrorMismatchDataType(expected, actual, _)
        | EvalAltResult::ErrorMismatchOutputType(expected, actual, _) => msg!(
            "script.mismatched_types",
            expected = type_term(expected),
            actual = type_term(actual)
        ),
        EvalAltResult::ErrorIndexingType(type_name, _) => {
            msg!("script.not_indexable", kind = type_term(type_name))
        }
        EvalAltResult::ErrorIndexNotFound(index, _) => {
            msg!("script.index_not_found", index = index.to_string())
        }
        EvalAltResult::ErrorArrayBounds(length, index, _) => {
            msg!("script.list_out_of_range", index = *index, length = *length)
        }
        EvalAltResult::ErrorStringBounds(length, index, _) => {
            msg!("script.text_out_of_range", index = *index, length = *length)
        }
        EvalAltResult::ErrorBitFieldBounds(length, index, _) => {
            msg!("script.bits_out_of_range", index = *index, length = *length)
        }
        EvalAltResult::ErrorFor(_) => term("script.not_iterable"),
        EvalAltResult::ErrorDataRace(name, _) => msg!("script.data_race", name = name),
        EvalAltResult::ErrorDotExpr(name, _) => msg!("script.property_access", name = name),
        // Rhai words arithmetic failures in English ("Division by zero: 1 / 0"); the kind is
        // all a caller needs.
        EvalAltResult::ErrorArithmetic(detail, _) if detail.contains("by zero") => {
            term("script.division_by_zero")
        }
        EvalAltResult::ErrorArithmetic(detail, _) if detail.contains("overflow") => {
            term("script.overflow")
        }
        EvalAltResult::ErrorArithmetic(..) => term("script.arithmetic"),
        EvalAltResult::ErrorTooManyVariables(_) => term("script.too_many_variables"),
        EvalAltResult::ErrorTerminated(..) => term("script.stopped"),
        EvalAltResult::ErrorParsing(parse, _) => msg!("script.other", detail = parse.to_string()),
        // The rest cannot happen in a sandbox that loads no modules and defines no syntax (or is
        // not an error at all); Rhai's English words stay in `message` for whoever reads logs.
        _ => term("script.failed"),
    }
}

/// A Rhai type's name as a flow author knows it: text, number, list, map…
fn type_term(name: &str) -> Arg {
    let key = match name.rsplit("::").next().unwrap_or(name) {
        "string" | "ImmutableString" | "String" | "&str" | "char" => "type.text",
        "i64" | "i32" | "u64" | "u32" | "f64" | "f32" | "INT" | "FLOAT" | "usize" => "type.number",
        "bool" => "type.boolean",
        "array" | "Array" | "Vec<Dynamic>" => "type.list",
        "map" | "Map" => "type.map",
        "()" => "type.nothing",
        "Fn" | "FnPtr" => "type.function",
        "timestamp" | "Instant" => "type.timestamp",
        "blob" | "Blob" => "type.blob",
        // A type the flow author named (a function's parameter, say): shown as they wrote it.
        _ => return Arg::Text(name.to_owned()),
    };
    Arg::Message(term(key))
}

/// The scope that compiling sees. The names are variables rather than constants on purpose:
/// Rhai's optimizer would fold constants' (placeholder) values into the AST.
fn compile_scope() -> Scope<'static> {
    let mut scope = Scope::new();
    for name in NAMES {
        scope.push_dynamic(name, Dynamic::UNIT);
    }
    scope
}

/// The scope evaluations run in, kept per thread: its five entries (`vars`, `call`, `input`,
/// `tenant`, `customer`) hold maps whose allocations are reused, and the bindings' maps are swapped in and
/// out of them, so an evaluation allocates nothing of its own.
struct Slots {
    scope: Scope<'static>,
    /// Whether the five entries are there, in order, each holding an unshared map.
    ready: bool,
}

const NAMES: [&str; 5] = [VARS, CALL, INPUT, TENANT, CUSTOMER];

/// Swaps the maps of `bindings` into the scope, runs `run` and swaps them back.
///
/// Without `script_vars`, `vars` is a constant like the other four. With it, that map is the
/// script's (writable) `vars`, `bindings.vars` is not touched, and what the script left in
/// `vars` is returned: a map, or whatever else it assigned.
fn with_scope<R>(
    bindings: &mut Bindings,
    script_vars: Option<Map>,
    run: impl FnOnce(&mut Scope<'static>) -> R,
) -> (R, Option<Result<Map, Dynamic>>) {
    SLOTS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slots) => slots.run(bindings, script_vars, run),
        // Only reachable if an evaluation ever ran inside another one on this thread.
        Err(_) => Slots {
            scope: Scope::new(),
            ready: false,
        }
        .run(bindings, script_vars, run),
    })
}

impl Slots {
    fn run<R>(
        &mut self,
        bindings: &mut Bindings,
        script_vars: Option<Map>,
        run: impl FnOnce(&mut Scope<'static>) -> R,
    ) -> (R, Option<Result<Map, Dynamic>>) {
        // Stays false if `run` panics, so a half-used scope is rebuilt rather than trusted.
        let ready = std::mem::replace(&mut self.ready, false);
        if !ready {
            self.scope.clear();
            for name in NAMES {
                self.scope
                    .push_constant_dynamic(name, Dynamic::from_map(Map::new()));
            }
        }
        let is_script = script_vars.is_some();
        match script_vars {
            // A fresh `Dynamic` is writable through and through; so is a cloned map.
            Some(vars) => self.put(VARS, Dynamic::from_map(vars)),
            None => self.swap_in(VARS, &mut bindings.vars),
        }
        self.swap_in(CALL, &mut bindings.call);
        self.swap_in(INPUT, &mut bindings.input);
        self.swap_in(TENANT, &mut bindings.tenant);
        self.swap_in(CUSTOMER, &mut bindings.customer);

        let result = run(&mut self.scope);

        // Drop whatever the script declared at top level so it cannot leak into the next run.
        self.scope.rewind(NAMES.len());
        // Closures that capture a binding make it shared.
        let any_shared = self.scope.iter_raw().any(|(_, _, value)| value.is_shared());
        let (vars, vars_ok) = if is_script {
            let mut vars = Map::new();
            match self.swap_out(VARS, &mut vars, any_shared) {
                Ok(reusable) => (Some(Ok(vars)), reusable),
                Err(other) => (Some(Err(other)), false),
            }
        } else {
            (
                None,
                matches!(
                    self.swap_out(VARS, &mut bindings.vars, any_shared),
                    Ok(true)
                ),
            )
        };
        // The others are constants, so they come back as maps, possibly shared by a closure.
        let others_ok = [
            self.swap_out(CALL, &mut bindings.call, any_shared),
            self.swap_out(INPUT, &mut bindings.input, any_shared),
            self.swap_out(TENANT, &mut bindings.tenant, any_shared),
            self.swap_out(CUSTOMER, &mut bindings.customer, any_shared),
        ]
        .iter()
        .all(|out| matches!(out, Ok(true)));
        self.ready = vars_ok && others_ok && self.scope.len() == NAMES.len();
        (result, vars)
    }

    fn put(&mut self, name: &str, value: Dynamic) {
        if let Some(slot) = self.scope.get_value_mut::<Dynamic>(name) {
            *slot = value;
        }
    }

    fn swap_in(&mut self, name: &str, map: &mut Map) {
        // `get_value_mut` ignores constness, which is what lets constant entries be reused;
        // `ready` guarantees the entry is not shared, which it would panic on.
        if let Some(slot) = self.scope.get_value_mut::<Dynamic>(name) {
            if slot.is_map() {
                if let Ok(mut inner) = slot.as_map_mut() {
                    std::mem::swap(&mut *inner, map);
                }
            } else {
                *slot = Dynamic::from_map(std::mem::take(map));
            }
            // Rhai keeps constness in every value of a constant, so this walks the whole map.
            *slot = slot.take().into_read_only();
        }
    }

    /// Moves the entry's map into `map`. `Ok(true)` when an empty map was left in the entry to
    /// reuse, `Ok(false)` when the entry was shared and had to go (the scope needs rebuilding),
    /// `Err` with the entry's value when it is not a map.
    fn swap_out(&mut self, name: &str, map: &mut Map, any_shared: bool) -> Result<bool, Dynamic> {
        // `get_value_mut` would panic on a shared entry.
        if any_shared && self.scope.get(name).is_some_and(Dynamic::is_shared) {
            let value = self
                .scope
                .remove::<Dynamic>(name)
                .map(unshare)
                .unwrap_or_default();
            *map = value.try_cast_result::<Map>()?;
            return Ok(false);
        }
        if let Some(inner) = self.scope.get_value_mut::<Map>(name) {
            std::mem::swap(inner, map);
            return Ok(true);
        }
        Err(self
            .scope
            .get_value_mut::<Dynamic>(name)
            .map(Dynamic::take)
            .unwrap_or_default())
    }
}

/// A closure that captured a binding turned it into a shared cell. Taking the value out of the
/// cell (instead of cloning it) keeps the maps intact and breaks reference cycles such as a
/// closure stored inside the very `vars` it captured.
fn unshare(mut value: Dynamic) -> Dynamic {
    if value.is_shared() {
        if let Some(mut inner) = value.write_lock::<Dynamic>() {
            return inner.take().flatten();
        }
    }
    value
}

fn unstorable(vars: &Map) -> Option<Message> {
    let (key, value) = vars.iter().find(|(_, v)| !crate::value::storable(v))?;
    Some(msg!(
        "script.unstorable",
        name = key.as_str(),
        what = describe_type(value)
    ))
}

fn unstorable_error(text: Message) -> ScriptError {
    ScriptError::new(ScriptErrorKind::UnstorableValue, text, 0, 0)
}

fn describe_type(value: &Dynamic) -> Message {
    if value.is_fnptr() {
        term("script.holds_function")
    } else if value.is_map() {
        term("script.holds_bad_map")
    } else if value.is_array() {
        term("script.holds_bad_list")
    } else {
        msg!("script.holds_value", kind = type_term(value.type_name()))
    }
}

impl ScriptError {
    /// The failure `text` of `kind` at `line` and `column`, its English words kept as `message`
    /// too (for logs and the records' plain `message`).
    pub(crate) fn new(kind: ScriptErrorKind, text: Message, line: u32, column: u32) -> ScriptError {
        ScriptError {
            kind,
            message: text.render(Locale::English),
            text,
            line,
            column,
        }
    }
}

fn is_deadline_token(token: &Dynamic) -> bool {
    token
        .as_immutable_string_ref()
        .is_ok_and(|s| s.as_str() == DEADLINE_TOKEN)
}

/// Rhai's own message, without the position (reported separately).
fn plain(error: &EvalAltResult) -> String {
    let text = error.to_string();
    if error.position().is_none() {
        return text;
    }
    let suffix = format!(" ({})", error.position());
    text.strip_suffix(&suffix)
        .map_or_else(|| text.clone(), str::to_owned)
}

fn line_column(position: Position) -> (u32, u32) {
    match position.line() {
        None => (0, 0),
        // A position at the beginning of a line has no column; its first column is meant.
        Some(line) => (to_u32(line), to_u32(position.position().unwrap_or(1))),
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn syntax_error(error: &ParseError) -> SyntaxError {
    let (line, column) = line_column(error.position());
    let text = match error.err_type() {
        ParseErrorType::VariableUndefined(name) => msg!("script.unknown_name", name = name),
        ParseErrorType::AssignmentToConstant(name) if READ_ONLY.contains(&name.as_str()) => {
            msg!("script.read_only", name = name)
        }
        ParseErrorType::Reserved(word) if word == "eval" => term("script.eval"),
        ParseErrorType::BadInput(LexError::ImproperSymbol(word, _)) if word == "eval" => {
            term("script.eval")
        }
        ParseErrorType::Reserved(word) if word == "import" || word == "export" => {
            msg!("script.modules", word = word)
        }
        ParseErrorType::Reserved(word) => msg!("script.reserved", word = word),
        ParseErrorType::UnknownOperator(operator) => {
            msg!("script.unknown_operator", operator = operator)
        }
        ParseErrorType::MissingToken(token, _) => msg!("script.missing_token", token = token),
        ParseErrorType::ExprExpected(_) => term("script.expression_expected"),
        ParseErrorType::UnexpectedEOF => term("script.incomplete"),
        ParseErrorType::VariableExpected => term("script.variable_expected"),
        ParseErrorType::PropertyExpected => term("script.property_expected"),
        ParseErrorType::BadInput(LexError::UnexpectedInput(input)) => {
            msg!("script.unexpected", input = input)
        }
        ParseErrorType::BadInput(LexError::UnterminatedString) => {
            term("script.unterminated_string")
        }
        ParseErrorType::BadInput(LexError::MalformedNumber(number)) => {
            msg!("script.bad_number", number = number)
        }
        ParseErrorType::VariableExists(name) | ParseErrorType::DuplicatedVariable(name) => {
            msg!("script.variable_exists", name = name)
        }
        other => msg!("script.other", detail = other.to_string()),
    };
    SyntaxError::new(text, line, column)
}

impl SyntaxError {
    /// The mistake `text` at `line` and `column`, its English words kept as `message` too.
    pub(crate) fn new(text: Message, line: u32, column: u32) -> SyntaxError {
        SyntaxError {
            message: text.render(Locale::English),
            text,
            line,
            column,
        }
    }
}

/// Catches `call.x = …` and the like while compiling, so that flow authors learn about it when
/// they save rather than when a caller reaches the node. (Run time catches it too.)
fn check_assignments(ast: &AST) -> Result<(), SyntaxError> {
    let mut found = None;
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Assignment(assignment))) = path.last() {
            if let Some((name, position)) = assigned_binding(&assignment.1.lhs) {
                if READ_ONLY.contains(&name) {
                    found = Some((name.to_owned(), position));
                    return false;
                }
            }
        }
        true
    });
    match found {
        None => Ok(()),
        Some((name, position)) => {
            let (line, column) = line_column(position);
            Err(SyntaxError::new(
                msg!("script.read_only", name = name),
                line,
                column,
            ))
        }
    }
}

/// The outer binding an assignment's target belongs to; locals (even named `call`) have a
/// stack index and so are not reported.
fn assigned_binding(target: &Expr) -> Option<(&str, Position)> {
    let mut expr = target;
    loop {
        match expr {
            Expr::Variable(var, short_index, position)
                if var.0.is_none() && short_index.is_none() =>
            {
                return Some((var.1.as_str(), *position));
            }
            Expr::Dot(binary, ..) | Expr::Index(binary, ..) => expr = &binary.lhs,
            _ => return None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helper functions

type HelperResult<T> = Result<T, Box<EvalAltResult>>;

fn register_helpers(engine: &mut Engine, limits: &Limits) {
    let max_string = limits.max_string_size;
    register_regex_helpers(engine, max_string);
    register_json_helpers(engine, max_string);
    register_date_helpers(engine);
    register_text_helpers(engine);
}

fn register_regex_helpers(engine: &mut Engine, max_string: usize) {
    engine.register_fn(
        "regex_match",
        |text: &str, pattern: &str| -> HelperResult<bool> {
            with_regex(pattern, |re| re.is_match(text))
        },
    );
    engine.register_fn(
        "regex_find",
        |text: &str, pattern: &str| -> HelperResult<Dynamic> {
            with_regex(pattern, |re| {
                re.find(text)
                    .map_or(Dynamic::UNIT, |m| Dynamic::from(m.as_str().to_owned()))
            })
        },
    );
    engine.register_fn(
        "regex_captures",
        |text: &str, pattern: &str| -> HelperResult<Array> {
            with_regex(pattern, |re| {
                re.captures(text).map_or_else(Array::new, |caps| {
                    caps.iter()
                        .map(|group| {
                            group.map_or(Dynamic::UNIT, |m| Dynamic::from(m.as_str().to_owned()))
                        })
                        .collect()
                })
            })
        },
    );
    engine.register_fn(
        "regex_replace",
        move |text: &str, pattern: &str, replacement: &str| -> HelperResult<String> {
            with_regex(pattern, |re| replace_all(re, text, replacement, max_string))?
        },
    );
}

fn register_json_helpers(engine: &mut Engine, max_string: usize) {
    engine.register_fn("json_parse", |text: &str| -> HelperResult<Dynamic> {
        serde_json::from_str::<serde_json::Value>(text)
            .map(|value| crate::value::to_dynamic(&value))
            .map_err(|e| {
                helper_failure(
                    format!("json_parse: the text is not valid JSON ({e})"),
                    msg!(
                        "script.helper.json_invalid",
                        function = "json_parse",
                        line = e.line().to_string(),
                        column = e.column().to_string()
                    ),
                )
            })
    });
    // Rhai has its own `to_json` for maps; registering the map form too makes ours win, so
    // every value is written the same way.
    engine.register_fn("to_json", move |value: Dynamic| {
        write_json(&value, max_string)
    });
    engine.register_fn("to_json", move |value: Map| {
        write_json(&Dynamic::from_map(value), max_string)
    });
}

fn register_date_helpers(engine: &mut Engine) {
    engine.register_fn(
        "date_parts",
        |epoch_ms: INT, offset: INT| -> HelperResult<Map> {
            let t = LocalTime::new(epoch_ms, offset)?;
            let mut parts = Map::new();
            for (name, value) in [
                ("year", t.year),
                ("month", t.month),
                ("day", t.day),
                ("hour", t.hour),
                ("minute", t.minute),
                ("second", t.second),
                ("weekday", t.weekday),
            ] {
                parts.insert(name.into(), Dynamic::from_int(value));
            }
            Ok(parts)
        },
    );
    engine.register_fn(
        "format_date",
        |epoch_ms: INT, offset: INT, format: &str| -> HelperResult<String> {
            Ok(LocalTime::new(epoch_ms, offset)?.format(format))
        },
    );
    engine.register_fn("days_between", |a: INT, b: INT| -> HelperResult<INT> {
        days_between(a, b, 0)
    });
    engine.register_fn("days_between", days_between);
    // Date slots save ISO dates ("2026-06-18"); prompts say the weekday with these.
    engine.register_fn("weekday", |iso: &str| -> HelperResult<INT> {
        Ok(INT::from(iso_date(iso)?.weekday()))
    });
    engine.register_fn(
        "weekday_name",
        |iso: &str, language: &str| -> HelperResult<String> {
            let weekday = iso_date(iso)?.weekday();
            Ok(weekday_name(weekday, language).to_owned())
        },
    );
}

fn iso_date(iso: &str) -> HelperResult<Date> {
    Date::parse_iso(iso).ok_or_else(|| {
        helper_failure(
            format!("{iso:?} is not a date written as YYYY-MM-DD (e.g. 2026-06-18)"),
            msg!("script.helper.not_a_date", value = format!("{iso:?}")),
        )
    })
}

thread_local! {
    /// The last failure of a helper function on this thread: its English text, which is the
    /// value a script's `catch` receives (unchanged, so scripts that test it keep working), and
    /// the same failure worded from the catalogues, which is what a flow's author reads when the
    /// script does not catch it. Evaluations run to completion on one thread, so the failure a
    /// script stops with is the last one raised here.
    static HELPER_FAILURE: RefCell<Option<(String, Message)>> = const { RefCell::new(None) };
}

/// A helper function's failure: thrown as its English text, remembered with its wording.
fn helper_failure(english: String, worded: Message) -> Box<EvalAltResult> {
    let thrown = Dynamic::from(english.clone());
    HELPER_FAILURE.with(|last| *last.borrow_mut() = Some((english, worded)));
    EvalAltResult::ErrorRuntime(thrown, Position::NONE).into()
}

/// The wording of a helper's failure that a script let through, found by its thrown text.
fn helper_failure_worded(thrown: &Dynamic) -> Option<Message> {
    let text = thrown.read_lock::<ImmutableString>()?;
    HELPER_FAILURE.with(|last| match &*last.borrow() {
        Some((english, worded)) if english.as_str() == text.as_str() => Some(worded.clone()),
        _ => None,
    })
}

/// The weekday's name in the flow's language: Chinese for `zh…`, English otherwise.
fn weekday_name(weekday: u32, language: &str) -> &'static str {
    const ZH: [&str; 7] = [
        "星期一",
        "星期二",
        "星期三",
        "星期四",
        "星期五",
        "星期六",
        "星期日",
    ];
    const EN: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let names = if language.starts_with("zh") { ZH } else { EN };
    let index = usize::try_from(weekday.clamp(1, 7) - 1).unwrap_or(0);
    names[index]
}

fn register_text_helpers(engine: &mut Engine) {
    engine.register_fn("digits_only", |text: &str| -> String {
        text.chars()
            .filter_map(|c| match c {
                '0'..='9' => Some(c),
                // Full-width digits are common in Chinese text input.
                '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
                _ => None,
            })
            .collect()
    });
    engine.register_fn("mask", |text: &str, keep_last: INT| -> String {
        let count = text.chars().count();
        let keep = usize::try_from(keep_last.max(0))
            .unwrap_or(usize::MAX)
            .min(count);
        text.chars()
            .enumerate()
            .map(|(i, c)| if i < count - keep { '*' } else { c })
            .collect()
    });
}

/// Runs `f` with the compiled `pattern`, compiling it on first use on this thread.
fn with_regex<R>(pattern: &str, f: impl FnOnce(&regex::Regex) -> R) -> HelperResult<R> {
    let cached = REGEXES.with(|cache| cache.borrow().get(pattern).cloned());
    let re = match cached {
        Some(re) => re,
        None => {
            let re = regex::RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    helper_failure(
                        format!("invalid regular expression {pattern:?}: {e}"),
                        msg!(
                            "script.helper.regex_invalid",
                            pattern = format!("{pattern:?}")
                        ),
                    )
                })?;
            REGEXES.with(|cache| {
                let mut cache = cache.borrow_mut();
                if cache.len() >= REGEX_CACHE_SIZE {
                    // Flows use a handful of fixed patterns; a pattern built from input is the
                    // only way to overflow, and any victim will do then.
                    if let Some(victim) = cache.keys().next().cloned() {
                        cache.remove(&victim);
                    }
                }
                cache.insert(pattern.to_owned(), re.clone());
            });
            re
        }
    };
    Ok(f(&re))
}

/// `Regex::replace_all`, but stopping as soon as the result passes the string limit: an empty
/// pattern and a long replacement could otherwise ask for gigabytes before Rhai sees the result.
fn replace_all(
    re: &regex::Regex,
    text: &str,
    replacement: &str,
    max_len: usize,
) -> HelperResult<String> {
    let too_long = |s: &String| max_len > 0 && s.len() > max_len;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        out.push_str(&text[last..whole.start()]);
        caps.expand(replacement, &mut out);
        last = whole.end();
        if too_long(&out) {
            return Err(data_too_large());
        }
    }
    out.push_str(&text[last..]);
    if too_long(&out) {
        return Err(data_too_large());
    }
    Ok(out)
}

fn data_too_large() -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge("Length of string".to_owned(), Position::NONE).into()
}

/// Writes JSON but gives up at the string limit: a list holding the same long string many
/// times is cheap in Rhai (strings are shared) yet huge as text.
fn write_json(value: &Dynamic, max_len: usize) -> HelperResult<String> {
    struct Limited {
        buf: Vec<u8>,
        max: usize,
    }
    impl std::io::Write for Limited {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if self.max > 0 && self.buf.len() + data.len() > self.max {
                return Err(std::io::Error::other("too long"));
            }
            self.buf.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let json = crate::value::to_json(value).ok_or_else(|| {
        let kind = describe_type(value);
        helper_failure(
            format!(
                "to_json: {} cannot be written as JSON",
                kind.render(Locale::English)
            ),
            msg!("script.helper.not_json", function = "to_json", kind = kind),
        )
    })?;
    let mut out = Limited {
        buf: Vec::new(),
        max: max_len,
    };
    serde_json::to_writer(&mut out, &json).map_err(|_| data_too_large())?;
    // serde_json writes valid UTF-8 only.
    String::from_utf8(out.buf).map_err(|e| e.to_string().into())
}

/// A moment split into civil fields at a fixed UTC offset.
struct LocalTime {
    year: INT,
    month: INT,
    day: INT,
    hour: INT,
    minute: INT,
    second: INT,
    weekday: INT,
}

impl LocalTime {
    fn new(epoch_ms: INT, offset_minutes: INT) -> HelperResult<Self> {
        let local = local_ms(epoch_ms, offset_minutes)?;
        let days = local.div_euclid(MS_PER_DAY);
        let ms_of_day = local.rem_euclid(MS_PER_DAY);
        let date = Date::from_days(days);
        Ok(LocalTime {
            year: date.year(),
            month: INT::from(date.month()),
            day: INT::from(date.day()),
            hour: ms_of_day / 3_600_000,
            minute: ms_of_day / 60_000 % 60,
            second: ms_of_day / 1000 % 60,
            weekday: INT::from(date.weekday()),
        })
    }

    fn format(&self, format: &str) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(format.len() + 16);
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let _ = match chars.next() {
                Some('Y') => write!(out, "{:04}", self.year),
                Some('m') => write!(out, "{:02}", self.month),
                Some('d') => write!(out, "{:02}", self.day),
                Some('H') => write!(out, "{:02}", self.hour),
                Some('M') => write!(out, "{:02}", self.minute),
                Some('S') => write!(out, "{:02}", self.second),
                Some('%') => write!(out, "%"),
                // Unknown directives stay as written, which makes the mistake visible.
                Some(other) => write!(out, "%{other}"),
                None => write!(out, "%"),
            };
        }
        out
    }
}

fn local_ms(epoch_ms: INT, offset_minutes: INT) -> HelperResult<INT> {
    if !(-MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES).contains(&offset_minutes) {
        return Err(helper_failure(
            format!(
                "the UTC offset must be given in minutes between -1440 and 1440 (e.g. 480 for \
                 UTC+8), not {offset_minutes}"
            ),
            msg!(
                "script.helper.utc_offset",
                offset = offset_minutes.to_string()
            ),
        ));
    }
    epoch_ms
        .checked_add(offset_minutes * 60_000)
        .ok_or_else(|| {
            helper_failure(
                "the date is out of range".to_owned(),
                term("script.helper.date_range"),
            )
        })
}

fn days_between(a: INT, b: INT, offset_minutes: INT) -> HelperResult<INT> {
    let day = |ms: INT| local_ms(ms, offset_minutes).map(|local| local.div_euclid(MS_PER_DAY));
    Ok(day(b)? - day(a)?)
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 200_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            deadline: Duration::from_millis(20),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Default limits but a generous clock: unoptimised test builds run Rhai slowly, and the
    /// other limits are what these tests are about.
    fn sandbox() -> Sandbox {
        Sandbox::new(Limits {
            deadline: Duration::from_secs(30),
            ..Limits::default()
        })
    }

    fn text(s: &str) -> Dynamic {
        Dynamic::from(s.to_owned())
    }

    fn bindings() -> Bindings {
        let mut b = Bindings::default();
        b.vars.insert("n".into(), Dynamic::from_int(41));
        b.vars.insert("name".into(), text("张三"));
        b.call.insert("from".into(), text("13812345678"));
        b.input.insert("text".into(), text("我要查订单"));
        b.tenant.insert("name".into(), text("Acme"));
        b.customer.insert("name".into(), text("张伟"));
        b.customer.insert("vip_level".into(), Dynamic::from_int(2));
        b
    }

    fn run(sandbox: &Sandbox, code: &str, b: &mut Bindings) -> Result<(), ScriptError> {
        let ast = sandbox.compile_script(code).expect("script should compile");
        sandbox.run_script(&ast, b)
    }

    fn eval(sandbox: &Sandbox, expr: &str, b: &mut Bindings) -> Result<Dynamic, ScriptError> {
        let ast = sandbox
            .compile_expression(expr)
            .expect("expression should compile");
        sandbox.eval_expression(&ast, b)
    }

    /// Every way a script can fail while a call runs, worded in Chinese, holds no English word
    /// but what the author wrote; the kind code stays what records have always kept.
    #[test]
    fn a_helpers_failure_is_caught_as_its_english_text_and_read_worded_when_not_caught() {
        let s = sandbox();
        let mut b = bindings();
        run(
            &s,
            "try { json_parse(\"{oops\") } catch (e) { vars.caught = e }",
            &mut b,
        )
        .expect("caught");
        let caught = b
            .vars
            .get("caught")
            .map(|v| v.to_string())
            .unwrap_or_default();
        assert!(
            caught.starts_with("json_parse: the text is not valid JSON"),
            "{caught}"
        );
        let e = run(&s, "vars.n = json_parse(\"{oops\");", &mut b).expect_err("not caught");
        assert_eq!(e.text.key, "script.thrown_value");
        let chinese = e.text.render(Locale::Chinese);
        assert!(
            chinese.contains("不是有效的 JSON（第 1 行第 2 列）"),
            "{chinese}"
        );
        // A value the author throws that merely looks like a helper's text is the author's.
        let e = run(&s, "throw \"订单号不对\";", &mut b).expect_err("thrown");
        assert!(e.text.render(Locale::Chinese).ends_with("订单号不对"));
    }

    #[test]
    fn every_runtime_failure_is_worded_in_chinese() {
        use crate::messages::tests::assert_chinese;
        let tight = Sandbox::new(Limits {
            max_operations: 1_000,
            max_string_size: 100,
            max_array_size: 10,
            max_map_size: 10,
            deadline: Duration::from_secs(30),
            ..Limits::default()
        });
        let failing = [
            (&tight, "loop { }", ScriptErrorKind::TooManyOperations),
            (
                &tight,
                "fn f(n) { f(n + 1) }\nf(0)",
                ScriptErrorKind::StackOverflow,
            ),
            (
                &tight,
                "let s = \"x\"; loop { s += s; }",
                ScriptErrorKind::DataTooLarge,
            ),
            (
                &tight,
                "let a = []; loop { a.push(1); }",
                ScriptErrorKind::DataTooLarge,
            ),
            (&tight, "throw \"缺少订单号\";", ScriptErrorKind::Runtime),
            (&tight, "throw;", ScriptErrorKind::Runtime),
            (
                &tight,
                "fn f() { throw \"缺少订单号\" }\nf()",
                ScriptErrorKind::Runtime,
            ),
            (&tight, "customer.name.clear();", ScriptErrorKind::Runtime),
            (&tight, "fn f() { vars.n }\nf()", ScriptErrorKind::Runtime),
            (
                &tight,
                "vars.n = undefined_helper(1, 2);",
                ScriptErrorKind::Runtime,
            ),
            (&tight, "vars.n = 1 / 0;", ScriptErrorKind::Runtime),
            (
                &tight,
                "let a = [1]; vars.n = a[5];",
                ScriptErrorKind::Runtime,
            ),
            (&tight, "vars.n = \"ab\"[9];", ScriptErrorKind::Runtime),
            (
                &tight,
                "let n = 5; for x in n { }",
                ScriptErrorKind::Runtime,
            ),
            (&tight, "vars.f = || 1;", ScriptErrorKind::UnstorableValue),
            (&tight, "vars = 5;", ScriptErrorKind::UnstorableValue),
            // The helper functions' own failures.
            (
                &tight,
                "vars.n = json_parse(\"{oops\");",
                ScriptErrorKind::Runtime,
            ),
            (
                &tight,
                "vars.n = regex_match(\"abc\", \"(\");",
                ScriptErrorKind::Runtime,
            ),
            (&tight, "vars.n = to_json(|| 1);", ScriptErrorKind::Runtime),
            (
                &tight,
                "vars.n = weekday(\"6月18日\");",
                ScriptErrorKind::Runtime,
            ),
            (
                &tight,
                "vars.n = date_parts(0, 5000);",
                ScriptErrorKind::Runtime,
            ),
        ];
        for (sandbox, code, kind) in failing {
            let e = run(sandbox, code, &mut bindings()).expect_err(code);
            assert_eq!(e.kind, kind, "{code}: {e:?}");
            assert_chinese(&e.text);
            assert_ne!(e.text.key, "script.failed", "{code}: {e:?}");
        }
        let thrown = run(&tight, "throw \"缺少订单号\";", &mut bindings()).expect_err("throws");
        assert_eq!(
            thrown.text.render(Locale::Chinese),
            "脚本因出错而停止：缺少订单号"
        );

        // Failures the scripts above cannot all reach, straight from the sandbox's errors.
        let at = Position::NONE;
        let uncommon = [
            EvalAltResult::ErrorTerminated(text(DEADLINE_TOKEN), at),
            EvalAltResult::ErrorParsing(ParseErrorType::ExprTooDeep, at),
            EvalAltResult::ErrorDataTooLarge("Size of object map".into(), at),
            EvalAltResult::ErrorAssignmentToConstant("call".into(), at),
            EvalAltResult::ErrorAssignmentToConstant(String::new(), at),
            EvalAltResult::ErrorVariableNotFound("订单".into(), at),
            EvalAltResult::ErrorPropertyNotFound("订单".into(), at),
            EvalAltResult::ErrorFunctionNotFound("查询 (i64, string)".into(), at),
            EvalAltResult::ErrorMismatchDataType("string".into(), "i64".into(), at),
            EvalAltResult::ErrorMismatchOutputType("bool".into(), "()".into(), at),
            EvalAltResult::ErrorIndexingType("i64".into(), at),
            EvalAltResult::ErrorIndexNotFound(text("订单"), at),
            EvalAltResult::ErrorArrayBounds(1, 5, at),
            EvalAltResult::ErrorStringBounds(2, 9, at),
            EvalAltResult::ErrorBitFieldBounds(64, 70, at),
            EvalAltResult::ErrorArithmetic("Addition overflow: 1 + 2".into(), at),
            EvalAltResult::ErrorArithmetic("Something else".into(), at),
            EvalAltResult::ErrorUnboundThis(at),
            EvalAltResult::ErrorTooManyVariables(at),
            EvalAltResult::ErrorDataRace("订单".into(), at),
            EvalAltResult::ErrorDotExpr("订单".into(), at),
            EvalAltResult::ErrorTerminated(text("other"), at),
            EvalAltResult::ErrorSystem("boom".into(), "system failure".into()),
        ];
        for error in uncommon {
            let e = tight.runtime_error(&error);
            assert_chinese(&e.text);
            assert!(!e.message.is_empty(), "{error:?}");
        }
    }

    #[test]
    fn resolutions_kept_between_evaluations_change_no_answer() {
        // Two sandboxes and scripts with and without functions of their own, in turns on one
        // thread: each evaluation meets what the others left.
        let plain = Sandbox::new(Limits::default());
        let short = Sandbox::new(Limits {
            max_string_size: 3,
            ..Limits::default()
        });
        for _ in 0..3 {
            assert_eq!(eval_str(&plain, r#""abcd".len()"#), "4");
            assert_eq!(eval_str(&plain, "[1, 2, 3].len()"), "3");
            let mut b = bindings();
            run(
                &plain,
                "fn len(x) { 7 } vars.n = len(\"ab\") + \"ab\".len();",
                &mut b,
            )
            .expect("script");
            assert_eq!(b.vars.get("n").and_then(|n| n.as_int().ok()), Some(9));
            assert!(eval(&short, r#""abc" + "de""#, &mut bindings()).is_err());
            assert_eq!(eval_str(&short, r#""ab".len()"#), "2");
            assert!(eval(&plain, "nothing_called_this(1)", &mut bindings()).is_err());
        }
    }

    fn eval_str(sandbox: &Sandbox, expr: &str) -> String {
        eval(sandbox, expr, &mut bindings())
            .expect("expression should run")
            .to_string()
    }

    fn eval_int(sandbox: &Sandbox, expr: &str) -> INT {
        eval(sandbox, expr, &mut bindings())
            .expect("expression should run")
            .as_int()
            .expect("an integer")
    }

    fn run_err(sandbox: &Sandbox, code: &str) -> ScriptError {
        run(sandbox, code, &mut bindings()).expect_err("script should fail")
    }

    #[test]
    fn scripts_read_bindings_and_change_vars() {
        let s = sandbox();
        let mut b = bindings();
        run(
            &s,
            "vars.n += 1;\nvars.greeting = tenant.name + \" \" + call.from + \" \" + input.text;",
            &mut b,
        )
        .expect("runs");
        assert_eq!(b.vars["n"].as_int(), Ok(42));
        assert_eq!(
            b.vars["greeting"].to_string(),
            "Acme 13812345678 我要查订单"
        );
        assert_eq!(b.call["from"].to_string(), "13812345678");
        assert_eq!(b.tenant["name"].to_string(), "Acme");
        assert_eq!(b.input["text"].to_string(), "我要查订单");
    }

    #[test]
    fn expressions_see_bindings_and_leave_them_alone() {
        let s = sandbox();
        let mut b = bindings();
        assert_eq!(
            eval(&s, "vars.n + 1", &mut b).expect("runs").as_int(),
            Ok(42)
        );
        assert_eq!(
            eval(&s, "call.from.len()", &mut b).expect("runs").as_int(),
            Ok(11)
        );
        assert!(eval(&s, "vars.missing", &mut b).expect("runs").is_unit());
        let e =
            eval(&s, "vars.remove(\"n\")", &mut b).expect_err("vars is read-only in expressions");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert_eq!(b.vars["n"].as_int(), Ok(41));
        assert_eq!(b.vars.len(), 2);
        assert_eq!(b.tenant["name"].to_string(), "Acme");
        let e = s
            .compile_expression("vars.n = 1")
            .expect_err("no assignment in expressions");
        assert_eq!((e.line, e.column), (1, 8));
    }

    #[test]
    fn call_is_usable_despite_being_a_rhai_keyword() {
        let s = sandbox();
        assert_eq!(eval_str(&s, "call.from"), "13812345678");
        assert_eq!(eval_int(&s, "(|x| x * 2).call(21)"), 42);
        assert_eq!(eval_int(&s, "call(|x| x + 1, 41)"), 42);
        let mut b = bindings();
        run(
            &s,
            "fn twice(x) { x * 2 } let f = Fn(\"twice\"); vars.r = call(f, 4) + f.call(1);",
            &mut b,
        )
        .expect("runs");
        assert_eq!(b.vars["r"].as_int(), Ok(10));
    }

    #[test]
    fn endless_loop_stops() {
        let e = run_err(&Sandbox::new(Limits::default()), "loop {}");
        assert!(
            matches!(
                e.kind,
                ScriptErrorKind::TooManyOperations | ScriptErrorKind::Deadline
            ),
            "{e:?}"
        );
        assert!(e.message.contains("ran too long"), "{}", e.message);
        let e = run_err(&sandbox(), "let i = 0;\nwhile true { i += 1; }");
        assert_eq!(e.kind, ScriptErrorKind::TooManyOperations);
        assert_eq!(
            e.message,
            "the script ran too long (more than 200000 operations); it may loop forever"
        );
        assert_eq!(e.line, 2);
    }

    #[test]
    fn deadline_stops_a_long_run() {
        // No operation limit, so only the clock can stop it.
        let s = Sandbox::new(Limits {
            max_operations: 0,
            deadline: Duration::from_millis(5),
            ..Limits::default()
        });
        let started = Instant::now();
        let e = run_err(&s, "loop { }");
        assert_eq!(e.kind, ScriptErrorKind::Deadline, "{e:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        // The next run gets a fresh clock.
        let mut b = bindings();
        run(
            &s,
            "let i = 0; while i < 100 { i += 1; } vars.i = i;",
            &mut b,
        )
        .expect("runs");
        assert_eq!(b.vars["i"].as_int(), Ok(100));
    }

    #[test]
    fn growing_string_stops() {
        let e = run_err(&sandbox(), "let s = \"x\"; loop { s += s; }");
        assert_eq!(e.kind, ScriptErrorKind::DataTooLarge, "{e:?}");
        assert!(e.message.contains("65536"), "{}", e.message);
        let e = run_err(&sandbox(), "let a = []; loop { a.push(1); }");
        assert_eq!(e.kind, ScriptErrorKind::DataTooLarge, "{e:?}");
    }

    #[test]
    fn endless_recursion_stops() {
        let e = run_err(&sandbox(), "fn f(n) { f(n + 1) }\nf(0)");
        assert_eq!(e.kind, ScriptErrorKind::StackOverflow, "{e:?}");
        assert!(e.line >= 1);
    }

    #[test]
    fn eval_and_import_are_refused() {
        let s = sandbox();
        let e = s
            .compile_script("let x = eval(\"1\");")
            .expect_err("eval is disabled");
        assert_eq!(e.message, "eval is not allowed");
        assert_eq!((e.line, e.column), (1, 9));
        assert!(s.compile_expression("eval(\"vars\")").is_err());
        let e = s
            .compile_script("import \"x\" as y;")
            .expect_err("no modules");
        assert_eq!((e.line, e.column), (1, 1));
    }

    #[test]
    fn unknown_names_fail_to_compile_with_their_place() {
        let s = sandbox();
        let e = s
            .compile_script("let a = 1;\nvars.x = a + foo;")
            .expect_err("foo is unknown");
        assert!(e.message.contains("foo"), "{}", e.message);
        assert_eq!((e.line, e.column), (2, 14));
        let e = s
            .compile_expression("\"您好\" + bar")
            .expect_err("bar is unknown");
        assert!(e.message.contains("bar"), "{}", e.message);
        // Columns count characters, not bytes.
        assert_eq!((e.line, e.column), (1, 8));
        assert_eq!(e.to_string(), format!("{} (line 1, column 8)", e.message));
        let e = s.compile_script("vars.x = (1 +").expect_err("incomplete");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn scripts_and_conditions_read_the_customer_but_cannot_change_it() {
        let s = sandbox();
        let mut b = bindings();
        run(
            &s,
            "if customer.vip_level >= 2 { vars.vip = customer.name; }",
            &mut b,
        )
        .expect("runs");
        assert_eq!(b.vars["vip"].to_string(), "张伟");
        assert_eq!(eval_str(&s, "customer.name + \"您好\""), "张伟您好");
        let e = s
            .compile_script("customer.name = \"x\";")
            .expect_err("customer is read-only");
        assert!(e.message.contains("read-only"), "{}", e.message);
        let e = run(&s, "customer.clear();", &mut b).expect_err("customer is read-only");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert_eq!(b.customer.len(), 2);
        // An unknown caller has an empty customer: its fields are missing, not errors.
        let mut unknown = Bindings::default();
        let known = eval(&s, "customer.name != ()", &mut unknown).expect("runs");
        assert_eq!(known.as_bool(), Ok(false));
    }

    #[test]
    fn read_only_bindings_cannot_be_assigned() {
        let s = sandbox();
        for (code, column) in [
            ("call.x = 1;", 1),
            ("vars.a = 1; tenant = #{};", 13),
            ("input[\"text\"] += \"!\";", 1),
        ] {
            let e = s.compile_script(code).expect_err(code);
            assert!(e.message.contains("read-only"), "{code}: {}", e.message);
            assert_eq!((e.line, e.column), (1, column), "{code}");
        }
        // Mutating methods are caught when they run.
        let mut b = bindings();
        let e = run(&s, "vars.a = 1;\ntenant.clear();", &mut b).expect_err("tenant is read-only");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert_eq!(e.line, 2);
        assert_eq!(b.tenant.len(), 1);
        assert!(!b.vars.contains_key("a"));
        // A local may reuse a name.
        run(&s, "let call = 1; call = 2; vars.c = call;", &mut b).expect("locals may shadow");
        assert_eq!(b.vars["c"].as_int(), Ok(2));
        assert_eq!(b.call["from"].to_string(), "13812345678");
    }

    #[test]
    fn failing_script_leaves_vars_unchanged() {
        let s = sandbox();
        let mut b = bindings();
        let before = format!("{:?}", b.vars);
        let e = run(
            &s,
            "vars.n = 0;\nvars.extra = 1;\nthrow \"订单不存在\";",
            &mut b,
        )
        .expect_err("throws");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert_eq!(e.message, "the script stopped with an error: 订单不存在");
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(format!("{:?}", b.vars), before);
        let e = run(&s, "vars.n = 0; loop {}", &mut b).expect_err("loops");
        assert_eq!(e.kind, ScriptErrorKind::TooManyOperations);
        assert_eq!(format!("{:?}", b.vars), before);
        assert_eq!(b.tenant["name"].to_string(), "Acme");
        assert_eq!(b.call["from"].to_string(), "13812345678");
    }

    #[test]
    fn unstorable_values_are_refused() {
        let s = sandbox();
        let mut b = bindings();
        let before = format!("{:?}", b.vars);
        let e =
            run(&s, "vars.n = 0; vars.f = || 1;", &mut b).expect_err("a closure cannot be stored");
        assert_eq!(e.kind, ScriptErrorKind::UnstorableValue);
        assert!(e.message.contains("vars.f"), "{}", e.message);
        assert_eq!(format!("{:?}", b.vars), before);
        let e = run(&s, "vars = 5;", &mut b).expect_err("vars must stay a map");
        assert_eq!(e.kind, ScriptErrorKind::UnstorableValue);
        assert_eq!(format!("{:?}", b.vars), before);
        // A closure stored in the vars it captured: refused, and the bindings stay usable.
        let e = run(&s, "vars.f = || vars.n;", &mut b).expect_err("unstorable");
        assert_eq!(e.kind, ScriptErrorKind::UnstorableValue);
        assert_eq!(format!("{:?}", b.vars), before);
        run(
            &s,
            "vars = #{ m: [1, 2.5, \"x\", (), #{ k: true }] };",
            &mut b,
        )
        .expect("storable");
        assert_eq!(b.vars.len(), 1);
    }

    #[test]
    fn closures_capturing_bindings_give_them_back() {
        let s = sandbox();
        let mut b = bindings();
        run(
            &s,
            "let f = || vars.n + tenant.name.len(); vars.r = f.call();",
            &mut b,
        )
        .expect("runs");
        assert_eq!(b.vars["r"].as_int(), Ok(45));
        assert!(!b.vars["n"].is_shared());
        assert_eq!(b.tenant["name"].to_string(), "Acme");
        // In an expression, where all five are constants.
        let mut b = bindings();
        let sum = eval(
            &s,
            "[1, 2].map(|x| x + vars.n + call.from.len()).reduce(|a, x| a + x, 0)",
            &mut b,
        );
        assert_eq!(sum.expect("runs").as_int(), Ok(107));
        assert_eq!(b.vars["n"].as_int(), Ok(41));
        assert_eq!(b.call["from"].to_string(), "13812345678");
        assert_eq!(eval_int(&s, "vars.n + call.from.len()"), 52);
        assert_eq!(eval(&s, "vars.n", &mut b).expect("runs").as_int(), Ok(41));
    }

    #[test]
    fn top_level_variables_do_not_leak() {
        let s = sandbox();
        let mut b = bindings();
        run(&s, "let x = 1; const Y = 2; vars.x = x + Y;", &mut b).expect("runs");
        assert_eq!(b.vars["x"].as_int(), Ok(3));
        // Strict variables reject `x` at compile time; without them the run must not see it.
        assert!(s.compile_script("vars.y = x;").is_err());
        run(&s, "vars.seen = is_def_var(\"x\");", &mut b).expect("runs");
        assert_eq!(b.vars["seen"].as_bool(), Ok(false));
    }

    #[test]
    fn sandbox_recovers_after_errors() {
        let s = sandbox();
        let mut b = bindings();
        for bad in [
            "loop {}",
            "throw 1;",
            "fn f() { f() } f();",
            "let s = \"x\"; loop { s += s; }",
        ] {
            assert!(run(&s, bad, &mut b).is_err());
            run(&s, "vars.n += 1;", &mut b).expect("runs after an error");
        }
        assert_eq!(b.vars["n"].as_int(), Ok(45));
        assert_eq!(eval_int(&s, "vars.n"), 41);
    }

    #[test]
    fn runtime_errors_have_places_and_plain_messages() {
        let s = sandbox();
        let e = run_err(&s, "vars.a = 1;\nvars.b = vars.name + no_such_fn(1);");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert_eq!(e.line, 2);
        assert!(e.message.contains("no_such_fn"), "{}", e.message);
        assert!(!e.message.contains("line"), "{}", e.message);
        let e = run_err(&s, "fn f() { vars.x = 1 }\nf();");
        assert!(
            e.message.contains("vars is not visible inside a function"),
            "{}",
            e.message
        );
        assert_eq!(e.line, 1);
        assert!(e.message.contains("(in function f)"), "{}", e.message);
    }

    #[test]
    fn print_and_debug_are_silent() {
        let mut b = bindings();
        run(
            &sandbox(),
            "print(\"hello\"); debug(vars); vars.ok = true;",
            &mut b,
        )
        .expect("runs");
        assert_eq!(b.vars["ok"].as_bool(), Ok(true));
    }

    #[test]
    fn regex_helpers() {
        let s = sandbox();
        assert_eq!(
            eval_str(&s, r#"regex_match("订单号 A12345", "[A-Z]\\d{5}")"#),
            "true"
        );
        assert_eq!(eval_str(&s, r#"regex_match("abc", "^\\d+$")"#), "false");
        assert_eq!(
            eval_str(
                &s,
                r#"regex_find("订单号 A12345 和 B67890", "[A-Z]\\d{5}")"#
            ),
            "A12345"
        );
        assert!(eval(&s, r#"regex_find("abc", "\\d")"#, &mut bindings())
            .expect("runs")
            .is_unit());
        assert_eq!(
            eval_str(&s, r#"regex_replace("138-1234-5678", "-", "")"#),
            "13812345678"
        );
        assert_eq!(
            eval_str(
                &s,
                r#"regex_replace("2023-11-14", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")"#
            ),
            "14/11/2023"
        );
        let caps = eval(
            &s,
            r#"regex_captures("生日 1990-05-17", "(\\d{4})-(\\d{2})-(\\d{2})(x)?")"#,
            &mut bindings(),
        )
        .expect("runs")
        .into_array()
        .expect("array");
        assert_eq!(caps.len(), 5);
        assert_eq!(caps[0].to_string(), "1990-05-17");
        assert_eq!(caps[1].to_string(), "1990");
        assert_eq!(caps[3].to_string(), "17");
        assert!(caps[4].is_unit());
        assert_eq!(eval_int(&s, r#"regex_captures("abc", "\\d").len()"#), 0);
        let e = eval(&s, r#"regex_match("abc", "(")"#, &mut bindings()).expect_err("bad pattern");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert!(
            e.message.contains("invalid regular expression"),
            "{}",
            e.message
        );
        // More patterns than the cache holds still work.
        let mut b = bindings();
        run(
            &s,
            "for i in 0..100 { if !regex_match(`a${i}`, `^a${i}$`) { throw i; } }",
            &mut b,
        )
        .expect("runs");
        // An empty pattern with a long replacement cannot blow up memory.
        let e = run_err(
            &s,
            r#"let r = "y"; for i in 0..10 { r += r; } let t = "x"; t.pad(60000, "x"); vars.x = regex_replace(t, "", r);"#,
        );
        assert_eq!(e.kind, ScriptErrorKind::DataTooLarge, "{e:?}");
    }

    #[test]
    fn json_helpers() {
        let s = sandbox();
        let mut b = bindings();
        run(&s, r#"let v = json_parse("{\"a\": [1, 2.5, \"张\", null, true], \"b\": {\"c\": 3}}");
            vars.a1 = v.a[1]; vars.c = v.b.c; vars.n = v.a[3]; vars.back = to_json(v);
            vars.m = #{ x: 3.0, y: "z" }.to_json(); vars.s = to_json("a\"b"); vars.i = to_json(5);"#, &mut b)
        .expect("runs");
        assert_eq!(b.vars["a1"].as_float(), Ok(2.5));
        assert_eq!(b.vars["c"].as_int(), Ok(3));
        assert!(b.vars["n"].is_unit());
        assert_eq!(
            b.vars["back"].to_string(),
            r#"{"a":[1,2.5,"张",null,true],"b":{"c":3}}"#
        );
        assert_eq!(b.vars["m"].to_string(), r#"{"x":3.0,"y":"z"}"#);
        assert_eq!(b.vars["s"].to_string(), r#""a\"b""#);
        assert_eq!(b.vars["i"].to_string(), "5");
        let e = eval(&s, r#"json_parse("{oops")"#, &mut b).expect_err("bad json");
        assert_eq!(e.kind, ScriptErrorKind::Runtime);
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
        assert!(eval(&s, "to_json(|| 1)", &mut b).is_err());
        // Our `to_json` also replaces Rhai's own one for maps, on constants too.
        assert!(eval(&s, "#{f: || 1}.to_json()", &mut b).is_err());
        assert_eq!(
            eval(&s, "tenant.to_json()", &mut b)
                .expect("runs")
                .to_string(),
            r#"{"name":"Acme"}"#
        );
        // Shared strings make this list cheap; its JSON text would be 64 MB.
        let e = run_err(
            &s,
            r#"let t = "x"; t.pad(60000, "x"); let a = []; for i in 0..1000 { a.push(t); } vars.j = to_json(a);"#,
        );
        assert_eq!(e.kind, ScriptErrorKind::DataTooLarge, "{e:?}");
    }

    #[test]
    fn date_helpers() {
        let s = sandbox();
        let parts = |expr: &str| eval_str(&s, expr);
        assert_eq!(
            parts("date_parts(0, 0)"),
            "#{\"day\": 1, \"hour\": 0, \"minute\": 0, \"month\": 1, \"second\": 0, \"weekday\": 4, \"year\": 1970}"
        );
        assert_eq!(
            eval_str(&s, r#"format_date(1700000000000, 0, "%Y-%m-%d %H:%M:%S")"#),
            "2023-11-14 22:13:20"
        );
        assert_eq!(eval_int(&s, "date_parts(1700000000000, 0).weekday"), 2);
        assert_eq!(
            eval_str(
                &s,
                r#"format_date(1700000000000, 480, "%Y年%m月%d日 %H:%M")"#
            ),
            "2023年11月15日 06:13"
        );
        assert_eq!(eval_int(&s, "date_parts(1700000000000, 480).weekday"), 3);
        assert_eq!(
            eval_str(&s, r#"format_date(1700000000000, -300, "%d/%m/%Y %% %q")"#),
            "14/11/2023 % %q"
        );
        // Leap day, and a moment before 1970.
        assert_eq!(
            eval_str(&s, r#"format_date(951782400000, 0, "%Y-%m-%d")"#),
            "2000-02-29"
        );
        assert_eq!(
            eval_str(&s, r#"format_date(-1, 0, "%Y-%m-%d %H:%M:%S")"#),
            "1969-12-31 23:59:59"
        );
        assert_eq!(eval_int(&s, "date_parts(-86400000, 0).weekday"), 3);
        // Calendar days, not 24-hour periods.
        assert_eq!(
            eval_int(
                &s,
                "days_between(1700000000000, 1700000000000 + 7 * 86400000)"
            ),
            7
        );
        assert_eq!(
            eval_int(
                &s,
                "days_between(1700000000000, 1700000000000 + 2 * 3600000)"
            ),
            1
        );
        assert_eq!(
            eval_int(
                &s,
                "days_between(1700000000000, 1700000000000 + 2 * 3600000, 480)"
            ),
            0
        );
        assert_eq!(eval_int(&s, "days_between(1700000000000, 0)"), -19675);
        let e = eval(&s, "date_parts(0, 100000)", &mut bindings()).expect_err("bad offset");
        assert!(e.message.contains("480"), "{}", e.message);
        assert!(eval(&s, "date_parts(9223372036854775807, 60)", &mut bindings()).is_err());
        assert_eq!(eval_int(&s, r#"weekday("2026-06-18")"#), 4);
        assert_eq!(eval_int(&s, r#"weekday("2026-06-21")"#), 7);
        assert_eq!(
            eval_str(&s, r#"weekday_name("2026-06-18", "zh-CN")"#),
            "星期四"
        );
        assert_eq!(
            eval_str(&s, r#"weekday_name("2026-06-21", "en")"#),
            "Sunday"
        );
        let e = eval(&s, r#"weekday("6月18日")"#, &mut bindings()).expect_err("not ISO");
        assert!(e.message.contains("YYYY-MM-DD"), "{}", e.message);
    }

    #[test]
    fn string_helpers() {
        let s = sandbox();
        assert_eq!(
            eval_str(&s, r#"digits_only("电话：138-1234 5678")"#),
            "13812345678"
        );
        assert_eq!(eval_str(&s, r#"digits_only("１２３a4")"#), "1234");
        assert_eq!(eval_str(&s, r#"mask("13812345678", 4)"#), "*******5678");
        assert_eq!(eval_str(&s, r#"mask("张三丰", 1)"#), "**丰");
        assert_eq!(eval_str(&s, r#"mask("123", 10)"#), "123");
        assert_eq!(eval_str(&s, r#"mask("123", -1)"#), "***");
        assert_eq!(eval_str(&s, r#"mask(call.from, 4)"#), "*******5678");
        // Rhai's own functions stay available.
        assert_eq!(eval_str(&s, r#"input.text.sub_string(2)"#), "查订单");
        assert_eq!(eval_str(&s, r#""a,b".split(",")[1].to_upper()"#), "B");
    }

    #[test]
    fn sandbox_is_shared_across_threads() {
        let s = Sandbox::shared();
        let ast = s.compile_expression("vars.n * 2").expect("compiles");
        std::thread::scope(|scope| {
            for i in 0..4 {
                let (s, ast) = (&s, &ast);
                scope.spawn(move || {
                    let mut b = Bindings::default();
                    for n in 0..200 {
                        b.vars.insert("n".into(), Dynamic::from_int(n + i));
                        assert_eq!(
                            s.eval_expression(ast, &mut b).expect("runs").as_int(),
                            Ok((n + i) * 2)
                        );
                    }
                });
            }
        });
    }
}
