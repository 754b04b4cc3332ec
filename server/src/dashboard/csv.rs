//! A page's table as a CSV download: a header row, UTF-8 with a byte-order mark so that Excel
//! shows Chinese as Chinese.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::internal;
use super::words::Words;

/// The CSV of `rows` under `header`, downloaded as `<name>.csv`.
pub fn response(
    words: Words,
    name: &str,
    header_row: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Response {
    match write(header_row, rows) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(value) =
                HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\""))
            {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => internal(words, &error),
    }
}

fn write(
    header_row: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, csv::Error> {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut bytes);
        writer.write_record(header_row)?;
        for row in rows {
            writer.write_record(&row)?;
        }
        writer.flush()?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_starts_with_a_byte_order_mark_and_a_header() {
        let bytes = write(&["流程".to_owned()], [vec!["订单, 查询".to_owned()]]).expect("csv");
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            "\u{feff}流程\n\"订单, 查询\"\n"
        );
    }
}
