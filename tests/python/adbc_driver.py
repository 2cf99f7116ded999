"""The ADBC driver loaded by Python's ADBC driver manager, as a user would: connect, query, bind parameters,
read metadata, fetch into pyarrow and pandas, and get an ADBC error for a wrong token.

Usage: python adbc_driver.py LIBRARY CONNECTION_STRING
Prints one line per check and exits non-zero on the first failure.
"""

import sys

import adbc_driver_manager
import adbc_driver_manager.dbapi as dbapi
import pyarrow


def connect(library, connection_string):
    return dbapi.connect(
        driver=library,
        entrypoint="AdbcConfluenceInit",
        db_kwargs={"uri": connection_string},
        autocommit=True,
    )


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    print(f"ok {name}")


def main():
    library, connection_string = sys.argv[1], sys.argv[2]
    with connect(library, connection_string) as conn:
        cur = conn.cursor()

        cur.execute("SELECT key, name FROM spaces ORDER BY key")
        spaces = cur.fetch_arrow_table()
        check("query", spaces.num_rows > 1 and spaces.column_names == ["key", "name"], spaces.schema)

        cur.execute("SELECT count(*) AS n FROM pages WHERE space_key = ?", ("ENG",))
        (bound,) = cur.fetchone()
        cur.execute("SELECT count(*) AS n FROM pages WHERE space_key = 'ENG'")
        (literal,) = cur.fetchone()
        check("positional parameter", bound == literal and bound > 0, (bound, literal))

        named = pyarrow.record_batch([["ENG"]], names=["space"])
        cur.execute("SELECT count(*) AS n FROM pages WHERE space_key = @space", named)
        (by_name,) = cur.fetchone()
        check("named parameter", by_name == literal, (by_name, literal))

        several = pyarrow.record_batch([["ENG", "DOCS"]], names=["0"])
        cur.execute("SELECT space_key, count(*) AS n FROM pages WHERE space_key = ? GROUP BY space_key", several)
        per_space = {row[0]: row[1] for row in cur.fetchall()}
        check("one run per parameter row", set(per_space) == {"ENG", "DOCS"}, per_space)

        cur.execute("SELECT id, title, created_at FROM pages WHERE space_key = 'ENG' LIMIT 5")
        frame = cur.fetch_df()
        check("pandas", len(frame) == 5 and list(frame.columns) == ["id", "title", "created_at"], frame.dtypes)

        objects = conn.adbc_get_objects(depth="all", table_name_filter="pag%").read_all().to_pylist()
        schemas = objects[0]["catalog_db_schemas"]
        tables = {t["table_name"]: t for s in schemas for t in s["db_schema_tables"]}
        columns = [c["column_name"] for c in tables["pages"]["table_columns"]]
        check("get_objects", objects[0]["catalog_name"] == "confluence" and "space_key" in columns, list(tables))
        remarks = {c["column_name"]: c["remarks"] for c in tables["pages"]["table_columns"]}
        check("column descriptions", bool(remarks["space_key"]), remarks)

        schema = conn.adbc_get_table_schema("pages")
        check("get_table_schema", "title" in schema.names, schema)
        check("get_table_types", "BASE TABLE" in conn.adbc_get_table_types(), conn.adbc_get_table_types())
        info = conn.adbc_get_info()
        check("get_info", info.get("vendor_name") == "Confluence" and info.get("driver_version"), info)

        cur.execute("SELECT min(id) FROM pages WHERE space_key = 'ENG' AND status = 'current'")
        (page,) = cur.fetchone()
        cur.execute("UPDATE pages SET version_message = ? WHERE id = ?", ("from adbc", page))
        written = cur.fetchone()
        check("an UPDATE returns the rows written", written == (1,), written)
        cur.adbc_statement.set_sql_query(f"UPDATE pages SET version_message = 'update API' WHERE id = {page}")
        affected = cur.adbc_statement.execute_update()
        check("execute_update returns the rows written", affected == 1, affected)
        cur.execute("SELECT version_message FROM pages WHERE id = ?", (page,))
        check("and the next read sees it", cur.fetchone()[0] == "update API")
        try:
            cur.execute("DELETE FROM pages WHERE space_key = 'ENG'")
            check("an unpinned DELETE is refused", False, "no error")
        except dbapi.Error as error:
            check("an unpinned DELETE is refused", "AllowUnboundedWrites" in str(error), error)
        try:
            conn.adbc_connection.set_options(**{"adbc.connection.readonly": "true"})
            check("read-only cannot be switched on an open connection", False, "no error")
        except adbc_driver_manager.Error as error:
            check("read-only cannot be switched on an open connection", "ReadOnly=true" in str(error), error)

        try:
            cur.execute("SELEC 1")
            check("bad SQL is an error", False)
        except dbapi.Error as error:
            check("bad SQL is an error", "syntax" in str(error).lower(), error)

    wrong = connection_string.replace("APIToken=", "APIToken=wrong-")
    with connect(library, wrong) as conn:
        cur = conn.cursor()
        try:
            cur.execute("SELECT key FROM spaces")
            check("a wrong token is an AdbcError", False, "no error")
        except adbc_driver_manager.Error as error:
            status = getattr(error, "status_code", None)
            check(
                "a wrong token is an AdbcError",
                status == adbc_driver_manager.AdbcStatusCode.UNAUTHENTICATED and "wrong-" not in str(error),
                (status, error),
            )


if __name__ == "__main__":
    main()
