"""Pages per space into pandas through the Confluence ADBC driver.

    pip install adbc-driver-manager pyarrow pandas
    cargo build --release -p confluence-adbc
    python adbc_pandas.py target/release/libconfluence_adbc.so "Url=https://acme.atlassian.net;User=me@acme.com;APIToken=..."
"""

import sys

import adbc_driver_manager.dbapi as dbapi


def pages_per_space(library, connection_string, status="current"):
    with dbapi.connect(
        driver=library,
        entrypoint="AdbcConfluenceInit",
        db_kwargs={"uri": connection_string},
        autocommit=True,
    ) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT space_key, count(*) AS pages, max(updated_at) AS last_update "
                "FROM pages WHERE status = ? GROUP BY space_key ORDER BY pages DESC",
                (status,),
            )
            return cur.fetch_df()


if __name__ == "__main__":
    frame = pages_per_space(sys.argv[1], sys.argv[2])
    print(frame.to_string(index=False))
    print(f"{int(frame['pages'].sum())} pages in {len(frame)} spaces")
