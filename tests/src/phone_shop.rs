//! A shop that takes and places phone calls through the fake Twilio: a tenant named 演示商城
//! in Chinese, with the demo shop's API, one published flow, the fake's account in its
//! telephony settings and a number bound to the flow. The phone and campaign tests start
//! from it.

use reqwest::Method;
use serde_json::{json, Value};
use server::config::Config;
use server::flow_http::DEMO_SHOP_BASE;

use crate::app::{TestApp, TestTenant};
use crate::fakes::twilio::FakeTwilio;

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
/// The shop's number: calls to it reach the flow, campaigns call from it.
pub const SHOP_NUMBER: &str = "+8657188880000";

pub struct PhoneShop {
    pub tenant: TestTenant,
    pub flow_id: String,
    pub twilio: FakeTwilio,
}

impl PhoneShop {
    /// Sets the shop up on a fresh tenant called `name`: `flow` published and bound to
    /// [`SHOP_NUMBER`] in `mode` (`webhook` or `stream`), `telephony` as its telephony
    /// settings with the fake's account added, and the server restarted pointed at the fake
    /// with `configure`'s changes besides.
    pub async fn open(
        app: &mut TestApp,
        name: &str,
        flow: &Value,
        mode: &str,
        mut telephony: Value,
        configure: impl FnOnce(&mut Config),
    ) -> PhoneShop {
        let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN).await;
        let api = twilio.api_base_url();
        app.reconfigure(|config| {
            config.telephony.twilio_api_url = api;
            configure(config);
        })
        .await;
        let tenant = app.tenant(name).await;
        app.change_settings(&tenant.id, |settings| {
            settings.display_name = [("zh-CN".to_owned(), "演示商城".to_owned())].into();
            settings.api_base_url = Some(DEMO_SHOP_BASE.to_owned());
        })
        .await;
        let flow_name = flow["name"].as_str().expect("the flow's name").to_owned();
        let (created, _) = app.published_flow(&tenant.id, &flow_name, flow).await;
        telephony["twilio"] = json!({ "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN });
        let (status, body) = app
            .api(
                Method::PUT,
                &tenant.owner_key,
                "/telephony",
                Some(&telephony),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let number = format!("/phone-numbers/{}", SHOP_NUMBER.replace('+', "%2B"));
        let binding = json!({ "flow_id": created.id, "mode": mode });
        let (status, body) = app
            .api(Method::PUT, &tenant.owner_key, &number, Some(&binding))
            .await;
        assert_eq!(status, 200, "{body}");
        PhoneShop {
            tenant,
            flow_id: created.id,
            twilio,
        }
    }
}
