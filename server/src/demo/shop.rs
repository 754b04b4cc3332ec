//! The built-in demo shop API that the example flows in `flows/` call (see "The demo shop API"
//! in `flows/README.md`), so that the demo tenant works out of the box.
//!
//! Routes, relative to wherever the server mounts [`router`]:
//!
//! - `GET /orders/{order_id}` — the sample orders below; `404 {"error":"order_not_found"}`.
//! - `GET /customers?phone=…` (or `customer=…`, the member's id such as `C1001`, or
//!   `visitor=…`) — who is calling, for the tenant's customer lookup: the [`CUSTOMERS`] below
//!   with their VIP level and recent orders; `404 {"error":"customer_not_found"}` for anyone
//!   else, `400` when none is given.
//! - `POST /refunds` — `201 {"refund_id","status":"pending_review"}`; 404 for an unknown
//!   order; `409 {"error":"refund_exists","refund_id"}` for the second request on an order.
//! - `POST /coupons` — `201 {"coupon_id","amount","valid_days":30,"sms_sent"}`.
//! - `POST /surveys` — `201 {"survey_id","status":"saved"}`; 404 for an unknown order.
//! - `POST /orders/{order_id}/price-adjustments` — refunds the difference when the price fell
//!   after the purchase: `201 {"adjustment_id","order_id","refunded","refunded_text"}`; `409
//!   {"error":"no_price_difference"}` for an order whose price did not fall.
//! - `POST /orders/{order_id}/returns` (`{"reason":"wrong_item"|"damaged"}`) — starts a return
//!   with a courier pickup: `201 {"return_id","order_id","reason","pickup_date","status"}`;
//!   `409 {"error":"not_delivered"}` before the order was delivered.
//!
//! Both order actions are idempotent per order: asked again (a caller who calls back, or the
//! same conversation in another channel), they answer `200` with what the first one did, so a
//! difference is never refunded twice.
//!
//! The same routes under `/en` speak English (carriers, ETAs, names), for a tenant whose shop
//! language is English: spoken texts are in the shop's language, so the language is part of
//! the base URL (`tenant.api`), not of the flow. A flow in the other language of a shop that
//! has both (the demo tenant's `order-status-en`) asks with `Accept-Language`, which wins over
//! the base URL's. Orders and refunds are shared by both.
//!
//! Bad bodies get `400 {"error":"invalid_json"|"invalid_request","message"}`. State (refunds,
//! id counters) lives in memory for the shop's lifetime, in a ledger per tenant: a refund that
//! one tenant's flow asked for is not another tenant's. Requests to the public mount
//! (`/demo-shop/api`) share a ledger of their own, which no tenant's flow sees. Everything else
//! is fixed, so apart from the generated ids the answers are deterministic.
//!
//! Sample orders: `2024061801` shipped, `2024061802` processing, `2024061803` delivered,
//! `12345678` cancelled, `2024061807` with the unknown status `returning`, `99999999` not
//! found — as in the conversation tests — plus `2024061805`, which answers only after
//! [`SLOW_ORDER_DELAY`] (longer than the flows wait), and `2024061806`, which answers 500, so
//! that the failure paths can be tried too. `2024061810` already has a refund request.
//! The price of `2024061801`, `2024061803` and `1357924680` fell after they were bought (see
//! [`PRICE_DROPS`]). `2024061813` (processing) is 王先生's second order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

/// How long the deliberately slow order takes to answer.
pub const SLOW_ORDER_DELAY: Duration = Duration::from_secs(4);

const SLOW_ORDER: &str = "2024061805";
const FAILING_ORDER: &str = "2024061806";
/// Request bodies are a few hundred bytes; anything much larger is not a demo client.
const MAX_BODY_BYTES: usize = 16 * 1024;
const MAX_TEXT_CHARS: usize = 500;
const COUPON_VALID_DAYS: u32 = 30;
const MAX_COUPON_AMOUNT: i64 = 1000;

/// The demo shop API, with fresh ledgers.
#[derive(Clone)]
pub struct DemoShop {
    router: Router,
}

impl Default for DemoShop {
    fn default() -> DemoShop {
        let shop = Arc::new(Shop::default());
        let routes = |language| {
            Router::new()
                .route("/orders/{order_id}", get(get_order))
                .route("/customers", get(get_customer))
                .route("/refunds", post(create_refund))
                .route("/coupons", post(create_coupon))
                .route("/surveys", post(create_survey))
                .route(
                    "/orders/{order_id}/price-adjustments",
                    post(create_price_adjustment),
                )
                .route("/orders/{order_id}/returns", post(create_return))
                .with_state(ShopState {
                    shop: shop.clone(),
                    language,
                })
        };
        let router = routes(Language::Zh)
            .nest("/en", routes(Language::En))
            .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
        DemoShop { router }
    }
}

impl DemoShop {
    /// The shop for anyone who calls it over HTTP, with the public ledger.
    pub fn public_router(&self) -> Router {
        self.router.clone().layer(Extension(Customer::Public))
    }

    /// Answers a request of a tenant's flow, in process, from the tenant's ledger.
    pub async fn answer(&self, tenant_id: &str, mut request: Request<Body>) -> Response {
        request
            .extensions_mut()
            .insert(Customer::Tenant(tenant_id.to_owned()));
        let Ok(response) = self.router.clone().oneshot(request).await;
        response
    }
}

/// Whose ledger a request reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Customer {
    Tenant(String),
    /// Whoever calls the public mount.
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Zh,
    En,
}

impl Language {
    /// The language an `Accept-Language` header asks for first, if it is one the shop speaks.
    fn asked(headers: &axum::http::HeaderMap) -> Option<Language> {
        let value = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)?
            .to_str()
            .ok()?;
        let first = value.split(',').next()?.split(';').next()?.trim();
        let primary = first.split('-').next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Language::Zh),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

#[derive(Clone)]
struct ShopState {
    shop: Arc<Shop>,
    language: Language,
}

impl ShopState {
    /// The language of a request's spoken texts: its `Accept-Language`, else the base URL's.
    fn speaks(&self, headers: &axum::http::HeaderMap) -> Language {
        Language::asked(headers).unwrap_or(self.language)
    }
}

#[derive(Default)]
struct Shop {
    ledgers: Mutex<HashMap<Customer, Ledger>>,
}

/// What the shop remembers between requests for one customer.
struct Ledger {
    /// Refund request id by order id.
    refunds: HashMap<String, String>,
    next_refund: u64,
    next_coupon: u64,
    next_survey: u64,
    /// Price adjustment id by order id.
    price_adjustments: HashMap<String, String>,
    next_adjustment: u64,
    /// Return id and reason by order id.
    returns: HashMap<String, (String, String)>,
    next_return: u64,
}

impl Default for Ledger {
    fn default() -> Ledger {
        Ledger {
            refunds: HashMap::from([("2024061810".to_owned(), "8800100001".to_owned())]),
            next_refund: 8_800_123_456,
            next_coupon: 20_240_618_001,
            next_survey: 20_240_618_001,
            price_adjustments: HashMap::new(),
            next_adjustment: 20_240_618_001,
            returns: HashMap::new(),
            next_return: 20_240_618_001,
        }
    }
}

impl Shop {
    /// Runs `change` on the customer's ledger, made fresh on its first request. Ledgers only
    /// grow with tenants: refunds are kept for the sample orders alone.
    fn with_ledger<T>(&self, customer: Customer, change: impl FnOnce(&mut Ledger) -> T) -> T {
        // A panic while holding the lock cannot leave a ledger half-updated in a way that
        // matters for a demo, so keep serving.
        let mut ledgers = self.ledgers.lock().unwrap_or_else(PoisonError::into_inner);
        change(ledgers.entry(customer).or_default())
    }
}

/// The texts of an order in one language.
struct Spoken {
    customer_name: &'static str,
    carrier: Option<&'static str>,
    tracking_no: Option<&'static str>,
    eta: Option<&'static str>,
}

struct Order {
    id: &'static str,
    status: &'static str,
    zh: Spoken,
    en: Spoken,
}

const fn spoken(
    customer_name: &'static str,
    carrier: Option<&'static str>,
    tracking_no: Option<&'static str>,
    eta: Option<&'static str>,
) -> Spoken {
    Spoken {
        customer_name,
        carrier,
        tracking_no,
        eta,
    }
}

/// `eta` means: processing → expected shipping date, shipped → expected delivery,
/// delivered → delivery date, cancelled → none.
static ORDERS: &[Order] = &[
    Order {
        id: "2024061801",
        status: "shipped",
        zh: spoken(
            "王先生",
            Some("顺丰速运"),
            Some("SF1234567890"),
            Some("明天下午"),
        ),
        en: spoken(
            "John Smith",
            Some("UPS"),
            Some("1Z999AA10123456784"),
            Some("tomorrow afternoon"),
        ),
    },
    Order {
        id: "2024061802",
        status: "processing",
        zh: spoken("李女士", None, None, Some("6月20日前")),
        en: spoken("Mary Jones", None, None, Some("June 20")),
    },
    Order {
        id: "2024061803",
        status: "delivered",
        zh: spoken(
            "张先生",
            Some("中通快递"),
            Some("73100012345678"),
            Some("6月15日"),
        ),
        en: spoken(
            "Ann Lee",
            Some("FedEx"),
            Some("771234567890"),
            Some("June 15"),
        ),
    },
    Order {
        id: "12345678",
        status: "cancelled",
        zh: spoken("赵女士", None, None, None),
        en: spoken("Tom Brown", None, None, None),
    },
    Order {
        id: "2024061804",
        status: "shipped",
        zh: spoken(
            "周女士",
            Some("京东物流"),
            Some("JDVB20240618004"),
            Some("今天晚上"),
        ),
        en: spoken(
            "Linda Clark",
            Some("DHL"),
            Some("4455667788"),
            Some("this evening"),
        ),
    },
    Order {
        id: "2024061807",
        status: "returning",
        zh: spoken("孙先生", Some("圆通速递"), Some("YT9876543210"), None),
        en: spoken(
            "Paul Miller",
            Some("USPS"),
            Some("9400100000000000000007"),
            None,
        ),
    },
    Order {
        id: "2024061808",
        status: "shipped",
        zh: spoken(
            "吴先生",
            Some("韵达快递"),
            Some("4312345678901"),
            Some("后天上午"),
        ),
        en: spoken(
            "David Wilson",
            Some("USPS"),
            Some("9400111899223856928499"),
            Some("Thursday morning"),
        ),
    },
    Order {
        id: "2024061809",
        status: "processing",
        zh: spoken("郑女士", None, None, Some("6月22日前")),
        en: spoken("Susan Taylor", None, None, Some("June 22")),
    },
    Order {
        id: "2024061810",
        status: "delivered",
        zh: spoken(
            "冯先生",
            Some("申通快递"),
            Some("773012345678901"),
            Some("6月10日"),
        ),
        en: spoken(
            "Robert Brown",
            Some("UPS"),
            Some("1Z999AA10987654321"),
            Some("June 10"),
        ),
    },
    Order {
        id: "2024061811",
        status: "shipped",
        zh: spoken(
            "陈女士",
            Some("中国邮政EMS"),
            Some("EA123456789CN"),
            Some("下周一"),
        ),
        en: spoken(
            "Karen White",
            Some("FedEx"),
            Some("772345678901"),
            Some("next Monday"),
        ),
    },
    Order {
        id: "2024061812",
        status: "cancelled",
        zh: spoken("褚先生", None, None, None),
        en: spoken("James Hall", None, None, None),
    },
    Order {
        id: "2024061813",
        status: "processing",
        zh: spoken("王先生", None, None, Some("6月21日前")),
        en: spoken("John Smith", None, None, Some("June 21")),
    },
    Order {
        id: "1357924680",
        status: "delivered",
        zh: spoken(
            "钱女士",
            Some("京东物流"),
            Some("JDVA00012345678"),
            Some("6月12日"),
        ),
        en: spoken(
            "Emma Wilson",
            Some("DHL"),
            Some("1234567890"),
            Some("June 12"),
        ),
    },
];

/// Orders whose price fell after they were bought, with the difference (in yuan in the
/// Chinese shop, dollars in the English one: each shop's own sample figures).
static PRICE_DROPS: &[(&str, u32)] = &[("2024061801", 30), ("2024061803", 50), ("1357924680", 20)];

/// When the courier comes for a return: the shop has no clock, so always the next morning.
const PICKUP_ZH: &str = "明天上午";
const PICKUP_EN: &str = "tomorrow morning";

fn find_order(id: &str) -> Option<&'static Order> {
    ORDERS.iter().find(|order| order.id == id)
}

#[derive(Serialize)]
struct OrderBody {
    order_id: &'static str,
    status: &'static str,
    carrier: Option<&'static str>,
    tracking_no: Option<&'static str>,
    eta: Option<&'static str>,
    customer_name: &'static str,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

fn order_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "order_not_found" })),
    )
        .into_response()
}

async fn get_order(
    State(state): State<ShopState>,
    Path(order_id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    match order_id.as_str() {
        SLOW_ORDER => {
            tokio::time::sleep(SLOW_ORDER_DELAY).await;
            return error(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                "the order system did not answer",
            );
        }
        FAILING_ORDER => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the order system failed",
            )
        }
        _ => {}
    }
    let Some(order) = find_order(&order_id) else {
        return order_not_found();
    };
    let texts = match state.speaks(&headers) {
        Language::Zh => &order.zh,
        Language::En => &order.en,
    };
    Json(OrderBody {
        order_id: order.id,
        status: order.status,
        carrier: texts.carrier,
        tracking_no: texts.tracking_no,
        eta: texts.eta,
        customer_name: texts.customer_name,
    })
    .into_response()
}

/// A member of the shop, as the customer lookup finds them by their phone number, or by their
/// id when they chat signed in.
struct DemoCustomer {
    id: &'static str,
    phone: &'static str,
    /// (full name, how the bot addresses them) in Chinese and in English. The form of
    /// address is the `customer_name` of their orders.
    zh: (&'static str, &'static str),
    en: (&'static str, &'static str),
    /// 0 is an ordinary member; 1 silver, 2 gold, 3 diamond.
    vip_level: u8,
    /// Newest first; each one of [`ORDERS`].
    orders: &'static [&'static str],
}

/// The demo's members: 张先生, a gold VIP with one recent order (the order-status flow needs
/// no order number from him), 王先生 with two, and 李女士 with one.
static CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        id: "C1001",
        phone: "+8613800000001",
        zh: ("张伟", "张先生"),
        en: ("Ann Lee", "Ms. Lee"),
        vip_level: 2,
        orders: &["2024061803"],
    },
    DemoCustomer {
        id: "C1002",
        phone: "+8613800000002",
        zh: ("王磊", "王先生"),
        en: ("John Smith", "Mr. Smith"),
        vip_level: 0,
        orders: &["2024061813", "2024061801"],
    },
    DemoCustomer {
        id: "C1003",
        phone: "+8613800000003",
        zh: ("李娜", "李女士"),
        en: ("Mary Jones", "Ms. Jones"),
        vip_level: 0,
        orders: &["2024061802"],
    },
];

fn vip_name(level: u8, language: Language) -> &'static str {
    match (language, level) {
        (Language::Zh, 0) => "普通会员",
        (Language::Zh, 1) => "银卡会员",
        (Language::Zh, 2) => "金卡会员",
        (Language::Zh, _) => "钻石会员",
        (Language::En, 0) => "Member",
        (Language::En, 1) => "Silver member",
        (Language::En, 2) => "Gold member",
        (Language::En, _) => "Diamond member",
    }
}

/// The digits of a phone number, with China's country code for a bare mobile number, so that
/// `13800000001`, `+86 138 0000 0001` and `+8613800000001` are the same member.
fn phone_key(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && digits.starts_with('1') {
        format!("86{digits}")
    } else {
        digits
    }
}

#[derive(serde::Deserialize)]
struct CustomerQuery {
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    visitor: Option<String>,
    #[serde(default)]
    customer: Option<String>,
}

async fn get_customer(
    State(state): State<ShopState>,
    query: Result<axum::extract::Query<CustomerQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Ok(axum::extract::Query(query)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "bad query string",
        );
    };
    let phone = query.phone.as_deref().map(phone_key).unwrap_or_default();
    let visitor = query.visitor.as_deref().map(str::trim).unwrap_or_default();
    let id = query.customer.as_deref().map(str::trim).unwrap_or_default();
    if phone.is_empty() && visitor.is_empty() && id.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "give phone, customer or visitor",
        );
    }
    // A member is known by their number, or by their id when the widget's page signed them in;
    // an anonymous visitor's id is nobody's account.
    let Some(customer) = CUSTOMERS.iter().find(|customer| {
        (!phone.is_empty() && phone_key(customer.phone) == phone)
            || (!id.is_empty() && customer.id == id)
    }) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "customer_not_found" })),
        )
            .into_response();
    };
    let language = state.speaks(&headers);
    let (name, title) = match language {
        Language::Zh => customer.zh,
        Language::En => customer.en,
    };
    let orders: Vec<Value> = customer
        .orders
        .iter()
        .filter_map(|id| find_order(id))
        .map(|order| json!({ "order_id": order.id, "status": order.status }))
        .collect();
    Json(json!({
        "customer_id": customer.id,
        "name": name,
        "title": title,
        "phone": customer.phone,
        "vip_level": customer.vip_level,
        "vip": vip_name(customer.vip_level, language),
        "recent_orders": orders,
    }))
    .into_response()
}

/// A rejected request body: always answered with 400.
struct BadRequest {
    code: &'static str,
    message: String,
}

impl BadRequest {
    fn field(message: String) -> BadRequest {
        BadRequest {
            code: "invalid_request",
            message,
        }
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, self.code, &self.message)
    }
}

/// Parses a body that must be a JSON object. The content type is not insisted on: flows set
/// it, and a demo should not fail on a missing header.
fn json_object(body: &Bytes) -> Result<Map<String, Value>, BadRequest> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(BadRequest::field("the body must be a JSON object".into())),
        Err(e) => Err(BadRequest {
            code: "invalid_json",
            message: format!("the body is not valid JSON: {e}"),
        }),
    }
}

/// A text field: absent or `null` gives `None`. Numbers are accepted as their text, because
/// flow templates may render an id stored as a number.
fn text(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, BadRequest> {
    let value = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(BadRequest::field(format!("{name} must be a string"))),
    };
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(BadRequest::field(format!(
            "{name} is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(Some(value))
}

fn required_text(fields: &Map<String, Value>, name: &str) -> Result<String, BadRequest> {
    match text(fields, name)? {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(BadRequest::field(format!("{name} is required"))),
    }
}

/// A whole number, given as a JSON number (`8` or `8.0`) or a numeric string, since flow
/// variables from campaigns often arrive as text.
fn whole_number(fields: &Map<String, Value>, name: &str) -> Result<Option<i64>, BadRequest> {
    let number = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    number
        .map(Some)
        .ok_or_else(|| BadRequest::field(format!("{name} must be a whole number")))
}

fn flag(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, BadRequest> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(BadRequest::field(format!("{name} must be true or false"))),
    }
}

/// A phone number an SMS could go to: `+` and 5 to 20 digits, spaces and dashes ignored.
fn is_phone_number(text: &str) -> bool {
    let digits: String = text
        .strip_prefix('+')
        .unwrap_or(text)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    (5..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

async fn create_refund(
    State(ShopState { shop, .. }): State<ShopState>,
    Extension(customer): Extension<Customer>,
    body: Bytes,
) -> Result<Response, BadRequest> {
    let fields = json_object(&body)?;
    let order_id = required_text(&fields, "order_id")?;
    required_text(&fields, "reason")?;
    let kind = text(&fields, "type")?;
    if !matches!(
        kind.as_deref(),
        None | Some("return_and_refund" | "refund_only")
    ) {
        return Err(BadRequest::field(
            "type must be return_and_refund or refund_only".into(),
        ));
    }
    // Optional fields are read only to reject wrong types, as a real shop API would.
    text(&fields, "channel")?;
    if find_order(&order_id).is_none() {
        return Ok(order_not_found());
    }
    let refund = shop.with_ledger(customer, |ledger| {
        if let Some(existing) = ledger.refunds.get(&order_id) {
            return Err(existing.clone());
        }
        let refund_id = ledger.next_refund.to_string();
        ledger.next_refund += 1;
        ledger.refunds.insert(order_id, refund_id.clone());
        Ok(refund_id)
    });
    Ok(match refund {
        Ok(refund_id) => (
            StatusCode::CREATED,
            Json(json!({ "refund_id": refund_id, "status": "pending_review" })),
        )
            .into_response(),
        Err(existing) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "refund_exists", "refund_id": existing })),
        )
            .into_response(),
    })
}

async fn create_coupon(
    State(ShopState { shop, .. }): State<ShopState>,
    Extension(customer): Extension<Customer>,
    body: Bytes,
) -> Result<Response, BadRequest> {
    let fields = json_object(&body)?;
    let phone = required_text(&fields, "phone")?;
    if !is_phone_number(&phone) {
        return Err(BadRequest::field("phone must be a phone number".into()));
    }
    text(&fields, "customer_name")?;
    let amount = whole_number(&fields, "amount")?
        .ok_or_else(|| BadRequest::field("amount is required".into()))?;
    if !(1..=MAX_COUPON_AMOUNT).contains(&amount) {
        return Err(BadRequest::field(format!(
            "amount must be between 1 and {MAX_COUPON_AMOUNT}"
        )));
    }
    text(&fields, "campaign")?;
    let send_sms = flag(&fields, "send_sms")?.unwrap_or(true);
    let coupon_id = shop.with_ledger(customer, |ledger| {
        let id = format!("CP{}", ledger.next_coupon);
        ledger.next_coupon += 1;
        id
    });
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "coupon_id": coupon_id,
            "amount": amount,
            "valid_days": COUPON_VALID_DAYS,
            "sms_sent": send_sms,
        })),
    )
        .into_response())
}

async fn create_survey(
    State(ShopState { shop, .. }): State<ShopState>,
    Extension(customer): Extension<Customer>,
    body: Bytes,
) -> Result<Response, BadRequest> {
    let fields = json_object(&body)?;
    // A survey campaign may not be about one order; an order it names must exist.
    let order_id = text(&fields, "order_id")?.unwrap_or_default();
    text(&fields, "phone")?;
    let score = whole_number(&fields, "score")?
        .ok_or_else(|| BadRequest::field("score is required".into()))?;
    if !(0..=10).contains(&score) {
        return Err(BadRequest::field("score must be between 0 and 10".into()));
    }
    text(&fields, "reason")?;
    text(&fields, "liked")?;
    text(&fields, "channel")?;
    if !order_id.is_empty() && find_order(&order_id).is_none() {
        return Ok(order_not_found());
    }
    let survey_id = shop.with_ledger(customer, |ledger| {
        let id = format!("SV{}", ledger.next_survey);
        ledger.next_survey += 1;
        id
    });
    Ok((
        StatusCode::CREATED,
        Json(json!({ "survey_id": survey_id, "status": "saved" })),
    )
        .into_response())
}

/// A `201` for what an order action did now, a `200` for what an earlier request did.
fn order_action(created: bool, body: Value) -> Response {
    let status = match created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    (status, Json(body)).into_response()
}

async fn create_price_adjustment(
    State(state): State<ShopState>,
    Extension(customer): Extension<Customer>,
    Path(order_id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, BadRequest> {
    // The body only says why and from where; an empty one is a plain request.
    if !body.is_empty() {
        let fields = json_object(&body)?;
        text(&fields, "reason")?;
        text(&fields, "channel")?;
    }
    let Some(order) = find_order(&order_id) else {
        return Ok(order_not_found());
    };
    let Some(&(_, refunded)) = PRICE_DROPS.iter().find(|(id, _)| *id == order.id) else {
        return Ok((
            StatusCode::CONFLICT,
            Json(json!({ "error": "no_price_difference" })),
        )
            .into_response());
    };
    let (adjustment_id, created) = state.shop.with_ledger(customer, |ledger| {
        if let Some(existing) = ledger.price_adjustments.get(order.id) {
            return (existing.clone(), false);
        }
        let id = format!("PA{}", ledger.next_adjustment);
        ledger.next_adjustment += 1;
        ledger
            .price_adjustments
            .insert(order.id.to_owned(), id.clone());
        (id, true)
    });
    let refunded_text = match state.speaks(&headers) {
        Language::Zh => format!("{refunded}元"),
        Language::En => format!("${refunded}"),
    };
    Ok(order_action(
        created,
        json!({
            "adjustment_id": adjustment_id,
            "order_id": order.id,
            "refunded": refunded,
            "refunded_text": refunded_text,
        }),
    ))
}

async fn create_return(
    State(state): State<ShopState>,
    Extension(customer): Extension<Customer>,
    Path(order_id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, BadRequest> {
    let fields = json_object(&body)?;
    let reason = required_text(&fields, "reason")?;
    if !matches!(reason.as_str(), "wrong_item" | "damaged") {
        return Err(BadRequest::field(
            "reason must be wrong_item or damaged".into(),
        ));
    }
    text(&fields, "channel")?;
    let Some(order) = find_order(&order_id) else {
        return Ok(order_not_found());
    };
    if order.status != "delivered" {
        return Ok((
            StatusCode::CONFLICT,
            Json(json!({ "error": "not_delivered", "status": order.status })),
        )
            .into_response());
    }
    let ((return_id, reason), created) = state.shop.with_ledger(customer, |ledger| {
        if let Some(existing) = ledger.returns.get(order.id) {
            return (existing.clone(), false);
        }
        let started = (format!("RT{}", ledger.next_return), reason);
        ledger.next_return += 1;
        ledger.returns.insert(order.id.to_owned(), started.clone());
        (started, true)
    });
    let pickup_date = match state.speaks(&headers) {
        Language::Zh => PICKUP_ZH,
        Language::En => PICKUP_EN,
    };
    Ok(order_action(
        created,
        json!({
            "return_id": return_id,
            "order_id": order.id,
            "reason": reason,
            "pickup_date": pickup_date,
            "status": "pickup_scheduled",
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Method, Request};
    use flow_engine::runtime::{Event, HandoffStatus, HttpRequest, Transfer};
    use flow_engine::turn::{drive, Resolver, TurnOutput};
    use flow_engine::{CallInfo, CompileOptions, CompiledFlow, FlowDocument, Session};
    use tower::ServiceExt;

    async fn call(
        app: &Router,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// The shop as the public mount serves it.
    fn router() -> Router {
        DemoShop::default().public_router()
    }

    async fn get_json(app: &Router, path: &str) -> (StatusCode, Value) {
        call(app, Method::GET, path, None).await
    }

    async fn post_json(app: &Router, path: &str, body: &str) -> (StatusCode, Value) {
        call(app, Method::POST, path, Some(body)).await
    }

    #[tokio::test]
    async fn documented_sample_orders() {
        let app = router();
        let (status, body) = get_json(&app, "/orders/2024061801").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({
                "order_id": "2024061801", "status": "shipped", "carrier": "顺丰速运",
                "tracking_no": "SF1234567890", "eta": "明天下午", "customer_name": "王先生"
            })
        );
        let expected = [
            ("2024061802", "processing", Value::Null, json!("6月20日前")),
            (
                "2024061803",
                "delivered",
                json!("中通快递"),
                json!("6月15日"),
            ),
            ("12345678", "cancelled", Value::Null, Value::Null),
            ("2024061807", "returning", json!("圆通速递"), Value::Null),
        ];
        for (id, status_text, carrier, eta) in expected {
            let (status, body) = get_json(&app, &format!("/orders/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{id}");
            assert_eq!(body["order_id"], id);
            assert_eq!(body["status"], status_text, "{id}");
            assert_eq!(body["carrier"], carrier, "{id}");
            assert_eq!(body["eta"], eta, "{id}");
            assert!(body["customer_name"].is_string());
        }
        let (status, body) = get_json(&app, "/orders/99999999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "order_not_found");
        let (status, _) = get_json(&app, "/orders/2024061806").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn members_are_found_by_their_number_with_their_orders() {
        let app = router();
        let (status, body) = get_json(&app, "/customers?phone=%2B8613800000001").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({
                "customer_id": "C1001", "name": "张伟", "title": "张先生",
                "phone": "+8613800000001", "vip_level": 2, "vip": "金卡会员",
                "recent_orders": [ { "order_id": "2024061803", "status": "delivered" } ]
            })
        );
        // The same member however the number is written; in English under /en.
        let (_, body) = get_json(&app, "/en/customers?phone=138%200000%200001").await;
        assert_eq!(
            (body["name"].as_str(), body["vip"].as_str()),
            (Some("Ann Lee"), Some("Gold member"))
        );
        let (status, body) = get_json(&app, "/customers?phone=13800000009").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "customer_not_found");
        let (status, _) = get_json(&app, "/customers?visitor=0123456789abcdef").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A signed-in widget visitor, by the member's id; the empty number of a chat is nothing.
        let (status, body) = get_json(&app, "/customers?phone=&visitor=ab12&customer=C1003").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["title"], "李女士");
        let (status, _) = get_json(&app, "/customers?customer=C9999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get_json(&app, "/customers").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Every member's orders are the shop's, under the member's own name; one is a VIP.
        for customer in CUSTOMERS {
            for id in customer.orders {
                let order = find_order(id).expect("a sample order");
                assert_eq!(order.zh.customer_name, customer.zh.1, "{id}");
                assert_eq!(order.en.customer_name, customer.en.0, "{id}");
            }
        }
        assert_eq!(CUSTOMERS.iter().filter(|c| c.vip_level > 0).count(), 1);
    }

    #[tokio::test]
    async fn every_sample_order_is_consistent() {
        assert!(ORDERS.len() >= 12);
        let app = router();
        for order in ORDERS {
            for prefix in ["", "/en"] {
                let (status, body) = get_json(&app, &format!("{prefix}/orders/{}", order.id)).await;
                assert_eq!(status, StatusCode::OK);
                let shipped = matches!(body["status"].as_str(), Some("shipped" | "delivered"));
                assert_eq!(
                    body["carrier"].is_string(),
                    shipped || order.status == "returning"
                );
                assert_eq!(body["tracking_no"].is_string(), body["carrier"].is_string());
                let has_eta = !matches!(order.status, "cancelled" | "returning");
                assert_eq!(body["eta"].is_string(), has_eta, "{}", order.id);
            }
        }
    }

    #[tokio::test]
    async fn english_orders_under_en() {
        let app = router();
        let (status, body) = get_json(&app, "/en/orders/2024061801").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["carrier"], "UPS");
        assert_eq!(body["tracking_no"], "1Z999AA10123456784");
        assert_eq!(body["eta"], "tomorrow afternoon");
        let (_, body) = get_json(&app, "/en/orders/2024061803").await;
        assert_eq!(body["carrier"], "FedEx");
        assert_eq!(body["eta"], "June 15");
        let (status, _) = get_json(&app, "/en/orders/99999999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn accept_language_wins_over_the_base_url() {
        let app = router();
        let ask = |path: &'static str, language: &'static str| {
            let app = app.clone();
            async move {
                let request = Request::builder()
                    .uri(path)
                    .header("accept-language", language)
                    .body(Body::empty())
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .unwrap();
                serde_json::from_slice::<Value>(&bytes).unwrap()
            }
        };
        assert_eq!(ask("/orders/2024061802", "en").await["eta"], "June 20");
        assert_eq!(
            ask("/orders/2024061802", "en-GB,zh;q=0.5").await["eta"],
            "June 20"
        );
        assert_eq!(
            ask("/en/orders/2024061802", "zh-CN").await["eta"],
            "6月20日前"
        );
        // A language the shop does not speak leaves the base URL's.
        assert_eq!(ask("/orders/2024061802", "fr").await["eta"], "6月20日前");
        assert_eq!(ask("/en/orders/2024061802", "fr").await["eta"], "June 20");
    }

    #[tokio::test]
    async fn slow_order_answers_after_the_flows_gave_up() {
        let app = router();
        let slow = get_json(&app, "/orders/2024061805");
        assert!(tokio::time::timeout(Duration::from_millis(200), slow)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn unknown_paths_and_methods() {
        let app = router();
        let (status, body) = get_json(&app, "/nothing").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "not_found");
        let (status, _) = call(&app, Method::DELETE, "/orders/2024061801", None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }

    const REFUND: &str = r#"{"order_id": "2024061801", "reason": "尺码不合适", "type": "return_and_refund", "channel": "phone"}"#;

    #[tokio::test]
    async fn each_tenant_and_the_public_mount_keep_their_own_refunds() {
        let shop = DemoShop::default();
        let refund = |tenant: Option<&'static str>| {
            let shop = shop.clone();
            async move {
                let request = Request::builder()
                    .method(Method::POST)
                    .uri("/refunds")
                    .header("content-type", "application/json")
                    .body(Body::from(REFUND))
                    .unwrap();
                let response = match tenant {
                    Some(tenant) => shop.answer(tenant, request).await,
                    None => shop.public_router().oneshot(request).await.unwrap(),
                };
                response.status()
            }
        };
        let customers = [Some("ten_a"), Some("ten_b"), None];
        for customer in customers {
            assert_eq!(refund(customer).await, StatusCode::CREATED, "{customer:?}");
        }
        for customer in customers {
            assert_eq!(refund(customer).await, StatusCode::CONFLICT, "{customer:?}");
        }
    }

    #[tokio::test]
    async fn refunds_create_then_conflict() {
        let app = router();
        let (status, body) = post_json(&app, "/refunds", REFUND).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            body,
            json!({ "refund_id": "8800123456", "status": "pending_review" })
        );
        let (status, body) = post_json(&app, "/refunds", REFUND).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            body,
            json!({ "error": "refund_exists", "refund_id": "8800123456" })
        );
        // The English shop is the same shop.
        let (status, _) = post_json(&app, "/en/refunds", REFUND).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let other = r#"{"order_id": "2024061802", "reason": "不想要了"}"#;
        let (status, body) = post_json(&app, "/refunds", other).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["refund_id"], "8800123457");
        let existing = r#"{"order_id": "2024061810", "reason": "不想要了"}"#;
        let (status, body) = post_json(&app, "/refunds", existing).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["refund_id"], "8800100001");
        // A fresh router starts over.
        let (_, body) = post_json(&router(), "/refunds", REFUND).await;
        assert_eq!(body["refund_id"], "8800123456");
    }

    #[tokio::test]
    async fn refund_for_unknown_order_is_404() {
        let body = r#"{"order_id": "99999999", "reason": "不想要了", "type": "return_and_refund"}"#;
        let (status, body) = post_json(&router(), "/refunds", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, json!({ "error": "order_not_found" }));
    }

    #[tokio::test]
    async fn refund_bodies_are_validated() {
        let app = router();
        let cases = [
            ("", "invalid_json"),
            ("{", "invalid_json"),
            ("[]", "invalid_request"),
            (r#"{"reason": "x"}"#, "invalid_request"),
            (r#"{"order_id": "2024061801"}"#, "invalid_request"),
            (
                r#"{"order_id": "2024061801", "reason": ""}"#,
                "invalid_request",
            ),
            (r#"{"order_id": true, "reason": "x"}"#, "invalid_request"),
            (
                r#"{"order_id": "2024061801", "reason": "x", "type": "steal"}"#,
                "invalid_request",
            ),
            (
                r#"{"order_id": "2024061801", "reason": ["x"], "type": "return_and_refund"}"#,
                "invalid_request",
            ),
        ];
        for (body, code) in cases {
            let (status, answer) = post_json(&app, "/refunds", body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(answer["error"], code, "{body}");
            assert!(answer["message"].is_string());
        }
        let long = json!({ "order_id": "2024061801", "reason": "长".repeat(MAX_TEXT_CHARS + 1) });
        let (status, _) = post_json(&app, "/refunds", &long.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // None of the rejected requests created a refund.
        let (status, _) = post_json(&app, "/refunds", REFUND).await;
        assert_eq!(status, StatusCode::CREATED);
        let huge = "x".repeat(MAX_BODY_BYTES + 1);
        let (status, _) = post_json(&app, "/refunds", &huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn coupons() {
        let app = router();
        let body = r#"{"phone": "+8613800138000", "customer_name": "王女士", "amount": 30, "campaign": "birthday", "send_sms": true}"#;
        let (status, answer) = post_json(&app, "/coupons", body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            answer,
            json!({ "coupon_id": "CP20240618001", "amount": 30, "valid_days": 30, "sms_sent": true })
        );
        let text_amount = r#"{"phone": "138 0013 8000", "amount": "20", "send_sms": false}"#;
        let (status, answer) = post_json(&app, "/coupons", text_amount).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(answer["coupon_id"], "CP20240618002");
        assert_eq!(answer["amount"], 20);
        assert_eq!(answer["sms_sent"], false);
        for bad in [
            r#"{"amount": 30}"#,
            r#"{"phone": "", "amount": 30}"#,
            r#"{"phone": "call me", "amount": 30}"#,
            r#"{"phone": "+8613800138000"}"#,
            r#"{"phone": "+8613800138000", "amount": 0}"#,
            r#"{"phone": "+8613800138000", "amount": 30.5}"#,
            r#"{"phone": "+8613800138000", "amount": 100000}"#,
            r#"{"phone": "+8613800138000", "amount": 30, "send_sms": "yes"}"#,
        ] {
            let (status, answer) = post_json(&app, "/coupons", bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(answer["error"], "invalid_request", "{bad}");
        }
    }

    #[tokio::test]
    async fn surveys() {
        let app = router();
        let body = r#"{"order_id": "2024061803", "phone": "+8613800138000", "score": 10, "reason": "", "liked": "物流很快", "channel": "phone"}"#;
        let (status, answer) = post_json(&app, "/surveys", body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            answer,
            json!({ "survey_id": "SV20240618001", "status": "saved" })
        );
        let general = r#"{"order_id": "", "score": 0, "reason": null, "liked": null}"#;
        let (status, answer) = post_json(&app, "/surveys", general).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(answer["survey_id"], "SV20240618002");
        let unknown = r#"{"order_id": "99999999", "score": 8}"#;
        let (status, answer) = post_json(&app, "/surveys", unknown).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer["error"], "order_not_found");
        for bad in [
            r#"{"order_id": "2024061803"}"#,
            r#"{"order_id": "2024061803", "score": null}"#,
            r#"{"order_id": "2024061803", "score": 11}"#,
            r#"{"order_id": "2024061803", "score": -1}"#,
            r#"{"order_id": "2024061803", "score": "good"}"#,
            r#"{"order_id": "2024061803", "score": 8, "liked": ["a"]}"#,
            r#""just text""#,
        ] {
            let (status, answer) = post_json(&app, "/surveys", bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(answer["error"], "invalid_request", "{bad}");
        }
    }

    #[tokio::test]
    async fn price_differences_are_refunded_once_per_order() {
        let app = router();
        let path = "/orders/2024061801/price-adjustments";
        let body = r#"{"reason": "price_drop", "channel": "phone"}"#;
        let (status, first) = post_json(&app, path, body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            first,
            json!({ "adjustment_id": "PA20240618001", "order_id": "2024061801",
                    "refunded": 30, "refunded_text": "30元" })
        );
        // Asked again, in English or with no body, it answers the same adjustment.
        let (status, again) = post_json(&app, path, "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again, first);
        let (status, english) = post_json(&app, &format!("/en{path}"), body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(english["adjustment_id"], "PA20240618001");
        assert_eq!(english["refunded_text"], "$30");
        let (status, other) = post_json(&app, "/orders/2024061803/price-adjustments", body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(other["adjustment_id"], "PA20240618002");
        assert_eq!(other["refunded"], 50);
        let (status, answer) = post_json(&app, "/orders/2024061802/price-adjustments", body).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(answer["error"], "no_price_difference");
        let (status, answer) = post_json(&app, "/orders/99999999/price-adjustments", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer["error"], "order_not_found");
        for bad in ["[]", "{", r#"{"reason": ["x"]}"#] {
            let (status, _) = post_json(&app, path, bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[tokio::test]
    async fn a_wrong_items_return_is_started_once_per_order() {
        let app = router();
        let path = "/orders/2024061803/returns";
        let body = r#"{"reason": "wrong_item", "channel": "chat"}"#;
        let (status, first) = post_json(&app, path, body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            first,
            json!({ "return_id": "RT20240618001", "order_id": "2024061803",
                    "reason": "wrong_item", "pickup_date": "明天上午",
                    "status": "pickup_scheduled" })
        );
        let (status, again) = post_json(&app, path, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again, first);
        let (_, english) = post_json(&app, &format!("/en{path}"), body).await;
        assert_eq!(english["return_id"], "RT20240618001");
        assert_eq!(english["pickup_date"], "tomorrow morning");
        // Only what was delivered can come back.
        let (status, answer) = post_json(&app, "/orders/2024061801/returns", body).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            answer,
            json!({ "error": "not_delivered", "status": "shipped" })
        );
        let (status, _) = post_json(&app, "/orders/99999999/returns", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for bad in ["", "{}", r#"{"reason": "bored"}"#, r#"{"reason": 3}"#] {
            let (status, answer) = post_json(&app, "/orders/1357924680/returns", bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(answer["error"].is_string(), "{bad}");
        }
        // None of the rejected requests started a return.
        let (status, answer) = post_json(&app, "/orders/1357924680/returns", body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(answer["return_id"], "RT20240618002");
    }

    fn flows_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../flows")
    }

    /// Every `http` node's method and URL in a flow document, wherever it sits.
    fn http_nodes(value: &Value, found: &mut Vec<(String, String)>) {
        match value {
            Value::Object(fields) => {
                if fields.get("type").and_then(Value::as_str) == Some("http") {
                    if let Some(url) = fields.get("url").and_then(Value::as_str) {
                        let method = fields
                            .get("method")
                            .and_then(Value::as_str)
                            .unwrap_or("GET");
                        found.push((method.to_owned(), url.to_owned()));
                    }
                }
                fields.values().for_each(|v| http_nodes(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| http_nodes(v, found)),
            _ => {}
        }
    }

    #[tokio::test]
    async fn every_url_in_the_example_flows_has_a_route() {
        let placeholder = regex::Regex::new(r"\{\{[^}]*\}\}").unwrap();
        let mut checked = 0;
        for entry in std::fs::read_dir(flows_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let document: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let mut found = Vec::new();
            http_nodes(&document, &mut found);
            for (method, url) in found {
                let template = url
                    .strip_prefix("{{tenant.api}}")
                    .unwrap_or_else(|| panic!("{}: {url} is not under tenant.api", path.display()));
                let uri = placeholder.replace_all(template, "2024061801").into_owned();
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                for prefix in ["", "/en"] {
                    let (status, body) = call(
                        &router(),
                        method.clone(),
                        &format!("{prefix}{uri}"),
                        Some("{}"),
                    )
                    .await;
                    assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
                    assert_ne!(body["error"], "not_found", "{method} {url}: no route");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 10, "only {checked} urls found");
    }

    const API: &str = "https://demo-shop.callflow.test/api";

    /// Answers a flow's requests from the demo shop, as the server would over the network.
    struct ShopResolver {
        app: Router,
        runtime: tokio::runtime::Runtime,
    }

    impl ShopResolver {
        fn new(app: Router) -> ShopResolver {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            ShopResolver { app, runtime }
        }
    }

    impl Resolver for ShopResolver {
        fn http(&mut self, request: &HttpRequest) -> Event {
            let path = request
                .url
                .strip_prefix(API)
                .unwrap_or_else(|| panic!("{} is not under {API}", request.url));
            let mut builder = Request::builder().method(request.method.as_str()).uri(path);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            let body = Body::from(request.body.clone().unwrap_or_default());
            let app = self.app.clone();
            self.runtime.block_on(async move {
                let response = app.oneshot(builder.body(body).unwrap()).await.unwrap();
                let status = response.status().as_u16();
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .unwrap();
                Event::HttpResponse {
                    status,
                    headers: Default::default(),
                    body: String::from_utf8(bytes.to_vec()).unwrap(),
                }
            })
        }

        fn transfer(&mut self, _: &Transfer) -> Event {
            Event::HandoffResult {
                status: HandoffStatus::Connected,
            }
        }
    }

    struct Call {
        session: Session,
        resolver: ShopResolver,
    }

    impl Call {
        /// Starts a call whose `tenant.api` is `api`, somewhere under [`API`] where the
        /// shop is mounted.
        fn start(flow: &str, api: &str, app: &Router, call: CallInfo) -> (Call, TurnOutput) {
            let text = std::fs::read_to_string(flows_dir().join(flow)).unwrap();
            let document = FlowDocument::from_json(&text).unwrap();
            let compiled: Arc<CompiledFlow> =
                CompiledFlow::compile(&document, &CompileOptions::default()).unwrap();
            let mut tenant = Map::new();
            tenant.insert("name".into(), json!("演示商城"));
            tenant.insert("api".into(), json!(api));
            let call = CallInfo {
                channel: "test".into(),
                tenant,
                ..call
            };
            let mut session = Session::new(compiled, call);
            let mut resolver = ShopResolver::new(app.clone());
            let output = drive(&mut session, Event::Started, &mut resolver);
            (Call { session, resolver }, output)
        }

        fn say(&mut self, text: &str) -> TurnOutput {
            let event = Event::Heard {
                text: text.into(),
                confidence: None,
            };
            drive(&mut self.session, event, &mut self.resolver)
        }

        fn keys(&mut self, digits: &str) -> TurnOutput {
            let event = Event::Digits {
                digits: digits.into(),
            };
            drive(&mut self.session, event, &mut self.resolver)
        }

        fn var(&self, name: &str) -> Value {
            self.session
                .vars_json()
                .get(name)
                .cloned()
                .unwrap_or(Value::Null)
        }
    }

    fn said(output: &TurnOutput) -> String {
        output.lines.join("\n")
    }

    #[test]
    fn a_member_the_lookup_finds_is_greeted_and_not_asked_for_the_order_number() {
        let app = router();
        let mut resolver = ShopResolver::new(app.clone());
        let lookup = HttpRequest {
            method: flow_engine::model::HttpMethod::Get,
            url: format!("{API}/customers?phone=%2B8613800000001"),
            headers: Vec::new(),
            body: None,
            timeout_ms: 1500,
        };
        let Event::HttpResponse { body, .. } = resolver.http(&lookup) else {
            panic!("no answer");
        };
        let customer: Map<String, Value> = serde_json::from_str(&body).unwrap();
        let call = CallInfo {
            from: "+8613800000001".into(),
            customer,
            ..CallInfo::default()
        };
        let (mut call, greeting) = Call::start("order-status.json", API, &app, call);
        assert!(
            said(&greeting).starts_with("张先生您好"),
            "{}",
            said(&greeting)
        );
        let output = call.say("我的快递到哪了");
        assert!(
            said(&output).contains("您最近一笔订单的订单号是2024061803")
                && said(&output).contains("您的订单已于6月15日签收"),
            "{}",
            said(&output)
        );
        assert_eq!(call.var("customer_name"), "张先生");
    }

    #[test]
    fn order_status_flow_runs_against_the_demo_shop() {
        let app = router();
        let (mut call, _) = Call::start("order-status.json", API, &app, CallInfo::default());
        call.say("我的快递到哪了");
        let output = call.keys("2024061801#");
        assert_eq!(output.http.len(), 1, "{output:?}");
        assert!(
            said(&output).contains("您的订单已由顺丰速运发出，运单号尾号7890，预计明天下午送达。"),
            "{}",
            said(&output)
        );
        assert_eq!(call.var("status"), "shipped");
        assert_eq!(call.var("customer_name"), "王先生");
        assert_eq!(call.session.current_node(), Some("ask_anything_else"));
        // Another lookup in the same call: an order still being packed.
        call.say("还要查一个订单");
        let output = call.keys("2024061802#");
        assert!(
            said(&output).contains("预计6月20日前发货"),
            "{}",
            said(&output)
        );
        // Unknown orders take the 404 path.
        call.say("再查一个");
        let output = call.keys("99999999#");
        assert!(said(&output).contains("没有查到"), "{}", said(&output));
        assert_eq!(call.session.current_node(), Some("ask_order_id"));
    }

    #[test]
    fn english_flow_runs_against_the_english_demo_shop() {
        let app = router();
        let api = format!("{API}/en");
        let (mut call, _) = Call::start("order-status-en.json", &api, &app, CallInfo::default());
        call.say("where is my order");
        let output = call.keys("2024061801#");
        let text = said(&output);
        assert!(
            text.contains(
                "Your order has shipped with UPS and should arrive by tomorrow afternoon. \
                 The tracking number ends in 6784."
            ),
            "{text}"
        );
    }

    #[test]
    fn complaints_flows_refund_the_difference_and_start_a_return() {
        let app = router();
        let (mut call, _) = Call::start("complaints.json", API, &app, CallInfo::default());
        call.keys("2024061801#");
        let text = said(&call.say("买完就降价了"));
        assert!(text.contains("已为您退还差价30元"), "{text}");
        assert_eq!(call.var("adjustment_id"), "PA20240618001");
        let api = format!("{API}/en");
        let (mut call, _) = Call::start("complaints-en.json", &api, &app, CallInfo::default());
        call.keys("2024061803#");
        let text = said(&call.say("I got the wrong item"));
        assert!(
            text.contains("the return number is RT20240618001")
                && text.contains("pick it up tomorrow morning"),
            "{text}"
        );
        // A caller who calls back about the same order hears the same difference refunded.
        let (mut call, _) = Call::start("complaints-en.json", &api, &app, CallInfo::default());
        call.keys("2024061801#");
        let text = said(&call.keys("1"));
        assert!(
            text.contains("refunded the difference of $30. ") && text.contains("PA20240618001"),
            "{text}"
        );
    }

    #[test]
    fn refund_flow_gets_an_id_then_a_conflict() {
        let app = router();
        let mut ids = Vec::new();
        for expected in ["退货申请已提交", "已经有退货申请在处理中"] {
            let (mut call, _) = Call::start("returns-refunds.json", API, &app, CallInfo::default());
            call.say("我要退货");
            call.keys("2024061801#");
            call.say("尺码不合适");
            let output = call.say("是的");
            let text = said(&output);
            assert!(text.contains(expected), "{text}");
            assert!(text.contains("8800123456"), "{text}");
            ids.push(call.var("refund_id"));
        }
        assert_eq!(ids[0], "8800123456");
    }

    #[test]
    fn outbound_flows_post_coupons_and_surveys() {
        let app = router();
        let outbound = |vars: Value| CallInfo {
            direction: flow_engine::runtime::Direction::Outbound,
            to: "+8613800138000".into(),
            vars: vars.as_object().cloned().unwrap_or_default(),
            ..CallInfo::default()
        };
        let (mut call, _) = Call::start(
            "birthday-care.json",
            API,
            &app,
            outbound(json!({ "customer_name": "王女士", "coupon_amount": 30 })),
        );
        let output = call.say("好的");
        assert!(
            said(&output).contains("优惠券已经发到您的手机上了"),
            "{}",
            said(&output)
        );
        assert_eq!(call.var("coupon_id"), "CP20240618001");
        assert_eq!(call.var("coupon_pending"), false);

        let (mut call, _) = Call::start(
            "satisfaction-survey.json",
            API,
            &app,
            outbound(json!({ "customer_name": "陈女士", "order_id": "2024061803" })),
        );
        call.say("十分");
        call.say("物流很快");
        assert_eq!(call.var("survey_id"), "SV20240618001");
        assert_eq!(call.var("survey_pending"), false);
    }
}
