"""The Flight SQL server through two clients nobody here wrote: the ADBC Flight SQL driver (Go, loaded by Python's
ADBC driver manager) and flightsql-dbapi (pyarrow's C++ Flight client). Each logs in, lists tables, reads a table
schema, runs queries with bound parameters into Arrow tables, runs a procedure, and is refused without
credentials, with wrong ones, and for file access.

Usage: python flightsql_clients.py USERS_URL USER PASSWORD PASS_THROUGH_URL EMAIL API_TOKEN
Prints one line per check and exits non-zero on the first failure.
"""

import sys
from urllib.parse import urlparse

import adbc_driver_flightsql.dbapi as flightsql
import adbc_driver_manager
import pyarrow
from flightsql import FlightSQLClient
from flightsql import connect as dbapi_connect


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    print(f"ok {name}")


def refused(name, action, *expected):
    try:
        action()
    except Exception as error:  # each client has its own exception types
        text = f"{type(error).__name__}: {error}"
        check(name, any(e.lower() in text.lower() for e in expected), text)
        return
    check(name, False, "no error")


def adbc(url, user, password):
    return flightsql.connect(url, db_kwargs={"username": user, "password": password}, autocommit=True)


def adbc_checks(url, user, password):
    with adbc(url, user, password) as conn, conn.cursor() as cur:
        cur.execute("SELECT key, name FROM spaces ORDER BY key")
        spaces = cur.fetch_arrow_table()
        check("adbc: a query returns an Arrow table", isinstance(spaces, pyarrow.Table) and spaces.num_rows > 0)
        check("adbc: columns keep their names", spaces.column_names == ["key", "name"], spaces.column_names)

        cur.execute("SELECT count(*) AS n FROM pages WHERE space_key = ?", parameters=("ENG",))
        eng = cur.fetchone()[0]
        cur.execute("SELECT count(*) AS n FROM pages")
        total = cur.fetchone()[0]
        check("adbc: a bound parameter filters", 0 < eng < total, (eng, total))

        cur.execute("SELECT title FROM pages WHERE space_key = ? AND status = ? LIMIT 3", parameters=("ENG", "current"))
        check("adbc: two parameters", len(cur.fetchall()) == 3)

        objects = conn.adbc_get_objects(depth="all", catalog_filter="confluence").read_all().to_pylist()
        tables = {t["table_name"]: t for s in objects[0]["catalog_db_schemas"] for t in s["db_schema_tables"]}
        check("adbc: get_objects lists the tables", "pages" in tables and "spaces" in tables, sorted(tables))
        columns = [c["column_name"] for c in tables["pages"]["table_columns"]]
        check("adbc: get_objects lists the columns", "title" in columns, columns)

        schema = conn.adbc_get_table_schema("pages", catalog_filter="confluence", db_schema_filter="main")
        check("adbc: a table's schema", "title" in schema.names and "space_key" in schema.names, schema.names)
        info = conn.adbc_get_info()
        check("adbc: the server names itself", info.get("vendor_name") == "confluence-sql", info)

        cur.execute("EXEC GetOAuthAuthorizationURL")
        row = cur.fetch_arrow_table().to_pylist()[0]
        check("adbc: a procedure runs through EXEC", str(row.get("URL", "")).startswith("http"), row)
        cur.execute("SELECT * FROM GetOAuthAuthorizationURL(CallbackUrl => 'http://localhost:33333')")
        check("adbc: a procedure runs as a table function", cur.fetch_arrow_table().num_rows == 1)

        refused("adbc: COPY to a file is refused", lambda: cur.execute("COPY (SELECT 1) TO '/tmp/x.csv'"), "not allow")
        refused(
            "adbc: external tables are refused",
            lambda: cur.execute("CREATE EXTERNAL TABLE leak (l VARCHAR) STORED AS CSV LOCATION '/etc/hostname'"),
            "not allow",
        )
        refused("adbc: SET is refused", lambda: cur.execute("SET datafusion.execution.batch_size = 1"), "not allow")
        refused("adbc: an unknown table is named", lambda: cur.execute("SELECT * FROM nope"), "nope")

    def no_credentials():
        with flightsql.connect(url, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")

    refused("adbc: no credentials are refused", no_credentials, "unauthenticated")
    refused("adbc: a wrong password is refused", lambda: adbc(url, user, password + "x"), "unauthenticated")


def dbapi_checks(url, user, password):
    parsed = urlparse(url)
    client = FlightSQLClient(host=parsed.hostname, port=parsed.port, user=user, password=password, insecure=True)
    cur = dbapi_connect(client).cursor()
    cur.execute("SELECT key FROM spaces ORDER BY key")
    keys = [row[0] for row in cur.fetchall()]
    check("flightsql-dbapi: a query", "ENG" in keys, keys)
    cur.execute("SELECT count(*) AS n FROM pages WHERE space_key = ?", ("ENG",))
    check("flightsql-dbapi: a bound parameter (union-typed, old-style handle)", cur.fetchall()[0][0] > 0)
    info = client.get_tables(include_schema=True)
    tables = client.do_get(info.endpoints[0].ticket).read_all()
    check("flightsql-dbapi: get_tables with schemas", "pages" in tables.column("table_name").to_pylist())
    cur.execute("EXEC GetOAuthAuthorizationURL")
    check("flightsql-dbapi: a procedure", str(cur.fetchall()[0][0]).startswith("http"))
    refused("flightsql-dbapi: COPY to a file is refused", lambda: cur.execute("COPY (SELECT 1) TO '/tmp/x.csv'"), "not allow")
    refused(
        "flightsql-dbapi: no credentials are refused",
        lambda: dbapi_connect(FlightSQLClient(host=parsed.hostname, port=parsed.port, insecure=True))
        .cursor()
        .execute("SELECT 1"),
        "unauthenticated",
    )
    refused(
        "flightsql-dbapi: a wrong password is refused",
        lambda: FlightSQLClient(host=parsed.hostname, port=parsed.port, user=user, password="wrong", insecure=True),
        "unauthenticated",
    )


def pass_through_checks(url, email, token):
    with adbc(url, email, token) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM spaces")
        check("pass-through: the client's own Confluence credentials", cur.fetchone()[0] > 0)
    refused("pass-through: a wrong API token is refused", lambda: adbc(url, email, "not-the-token"), "unauthenticated")
    parsed = urlparse(url)
    client = FlightSQLClient(host=parsed.hostname, port=parsed.port, user=email, password=token, insecure=True)
    cur = dbapi_connect(client).cursor()
    cur.execute("SELECT count(*) FROM pages WHERE space_key = ?", ("ENG",))
    check("pass-through: flightsql-dbapi with the client's own credentials", cur.fetchall()[0][0] > 0)


def main():
    users_url, user, password, pass_url, email, token = sys.argv[1:7]
    adbc_checks(users_url, user, password)
    dbapi_checks(users_url, user, password)
    pass_through_checks(pass_url, email, token)
    print("ok all")


if __name__ == "__main__":
    main()
