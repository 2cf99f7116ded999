//! A page of a list, as any server might send it: parsing (shaped and fingerprinted) and decoding its rows into
//! Arrow never panic; a failure is an error.
#![no_main]

use confluence_rest::Shape;
use confluence_sql::internals::columns::{col, decode, schema_of, shape_of, Column, DecodeContext, Kind, Source};
use libfuzzer_sys::fuzz_target;

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], ""),
    col("title", Kind::Text, &["title"], ""),
    col("minor", Kind::Bool, &["version", "minorEdit"], ""),
    col("at", Kind::Time, &["version", "createdAt"], ""),
    Column { name: "key", kind: Kind::Text, source: Source::SpaceKeyOf(&["spaceId"]), doc: "" },
    Column { name: "parent", kind: Kind::Int, source: Source::LastOf(&["ancestors"], "id"), doc: "" },
    Column { name: "page", kind: Kind::Int, source: Source::PathIf(&["c", "id"], &["c", "type"], "page"), doc: "" },
];

fuzz_target!(|data: &[u8]| {
    let mut page = Shape::nothing();
    page.keep_shape(&["results"], &shape_of(COLUMNS)).keep(&["_links", "next"]).keep(&["totalSize"]);
    for shape in [page, Shape::everything()] {
        let _ = shape.parse(data);
        let Ok((document, prints)) = shape.parse_list(data) else { continue };
        let Some(results) = document.get("results").and_then(|r| r.as_array()) else { continue };
        assert_eq!(prints.len(), results.len());
        if let Ok(batch) = decode(COLUMNS, &schema_of(COLUMNS), results, &DecodeContext::default()) {
            assert_eq!(batch.num_rows(), results.len());
        }
    }
});
