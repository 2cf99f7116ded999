//! Connection strings: the grammar and the validation never panic, and nothing they print shows a secret.
#![no_main]

use libfuzzer_sys::fuzz_target;

const SECRET: &str = "FuzzS3cretValue9";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // libFuzzer learns the constant and writes it into inputs: a secret the input itself shows is not a leak.
    if text.contains("FuzzS3cret") || text.contains("cretValue9") {
        return;
    }
    for input in [text.to_owned(), format!("{text};APIToken={SECRET}"), format!("APIToken={SECRET};{text}")] {
        let shown = match connstr::ConnectionOptions::parse(&input) {
            Ok(options) => format!("{options} {options:?} {:?}", options.properties()),
            Err(error) => format!("{error} {error:?}"),
        };
        let redacted = connstr::redact(&input);
        // The secret may be written as part of another value (`Url='x;APIToken=...'`) only when the input itself
        // hides it in a quote; a plain `;APIToken=` pair after a well-formed prefix must never show.
        if !text.contains(['\'', '"']) {
            assert!(!shown.contains(SECRET), "{input:?} shows the secret: {shown}");
            assert!(!redacted.contains(SECRET), "{input:?} redacts to {redacted}");
        }
    }
});
