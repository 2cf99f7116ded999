//! What SQL may do on a connection. SQL comes from people at a shell, but also from host applications and remote
//! clients, so by default it reaches Confluence and nothing else: queries, `EXPLAIN`, `SHOW`/`DESCRIBE`, the
//! procedures and the driver's own writes. Reading or writing the machine's files (`CREATE EXTERNAL TABLE`,
//! `COPY ... TO`), defining tables and views, and changing the engine's settings (`SET`) each need an opt-in that
//! only a local user can give ([`SqlPolicy`] from `LocalFiles` and `AllowSessionSettings`; the Flight SQL server
//! always uses [`SqlPolicy::REMOTE`]). Every plan is checked before it runs, subqueries and `EXPLAIN` included.

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::TableReference;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{DdlStatement, LogicalPlan, Statement as PlanStatement};

use connstr::LocalFiles;

/// What a connection's SQL may do besides reading and writing Confluence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqlPolicy {
    /// Local files: none, read (external tables, and tables and views of the user's own), or read and write.
    pub local_files: LocalFiles,
    /// Whether `SET` may change the engine's settings.
    pub session_settings: bool,
}

impl SqlPolicy {
    /// What a remote client (Flight SQL) or an untrusted host gets: Confluence only.
    pub const REMOTE: SqlPolicy = SqlPolicy { local_files: LocalFiles::None, session_settings: false };

    /// Whether the session may have DataFusion's file formats (CSV, JSON, Arrow) registered at all.
    pub fn allows_file_formats(&self) -> bool {
        self.local_files != LocalFiles::None
    }

    /// Checks a plan (with its subqueries and what an `EXPLAIN` wraps) before it runs; the error names the
    /// statement and the opt-in. `is_confluence_table` tells the driver's own tables (whose writes are the
    /// driver's DML) from others, by the table the reference resolves to (not its name: a table of the user's own
    /// can have any name).
    pub fn verify(&self, plan: &LogicalPlan, is_confluence_table: &dyn Fn(&TableReference) -> bool) -> Result<()> {
        let mut refusal: Option<DataFusionError> = None;
        plan.apply_with_subqueries(|node| {
            if let Some(error) = self.check(node, is_confluence_table) {
                refusal = Some(error);
                return Ok(TreeNodeRecursion::Stop);
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        match refusal {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn check(
        &self,
        node: &LogicalPlan,
        is_confluence_table: &dyn Fn(&TableReference) -> bool,
    ) -> Option<DataFusionError> {
        match node {
            LogicalPlan::Ddl(DdlStatement::CreateExternalTable(_)) if self.local_files == LocalFiles::None => {
                Some(refuse(
                    "CREATE EXTERNAL TABLE reads files on the machine the driver runs on",
                    "LocalFiles=Read (or ReadWrite)",
                ))
            }
            LogicalPlan::Ddl(ddl) if self.local_files == LocalFiles::None => Some(refuse(
                &format!("{} defines tables or views of your own in the session", ddl.name()),
                "LocalFiles=Read (or ReadWrite)",
            )),
            LogicalPlan::Copy(_) if self.local_files != LocalFiles::ReadWrite => {
                Some(refuse("COPY ... TO writes a file on the machine the driver runs on", "LocalFiles=ReadWrite"))
            }
            LogicalPlan::Dml(dml)
                if !is_confluence_table(&dml.table_name) && self.local_files != LocalFiles::ReadWrite =>
            {
                Some(refuse(
                    &format!("{} into {} writes to a table that is not Confluence's", dml.op, dml.table_name),
                    "LocalFiles=ReadWrite",
                ))
            }
            LogicalPlan::Statement(PlanStatement::SetVariable(_) | PlanStatement::ResetVariable(_))
                if !self.session_settings =>
            {
                Some(refuse("SET changes the settings of the SQL engine", "AllowSessionSettings=true"))
            }
            // Plans kept in the session by name: on a shared connection (a Flight SQL server's), one client's
            // would be another's to run, drop or shadow, and they would pile up. Commands prepare without them.
            LogicalPlan::Statement(
                PlanStatement::Prepare(_) | PlanStatement::Execute(_) | PlanStatement::Deallocate(_),
            ) if !self.session_settings => Some(refuse(
                "PREPARE, EXECUTE and DEALLOCATE keep plans in the session (use Command::prepare, or ADBC/Flight SQL \
                 prepared statements)",
                "AllowSessionSettings=true",
            )),
            _ => None,
        }
    }
}

/// The tables a plan writes to (`INSERT`, `UPDATE`, `DELETE`), subqueries and `EXPLAIN` included.
pub fn written_tables(plan: &LogicalPlan) -> Vec<TableReference> {
    let mut tables = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::Dml(dml) = node {
            tables.push(dml.table_name.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    tables
}

fn refuse(what: &str, opt_in: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "{what}, which this connection does not allow; a local user can allow it with {opt_in} in the connection \
         string (never available to Flight SQL clients)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    async fn plan(sql: &str) -> LogicalPlan {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE t (a INT)").await.unwrap_or_else(|e| panic!("{e}"));
        ctx.state().create_logical_plan(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn verdict(policy: SqlPolicy, plan: &LogicalPlan) -> Result<()> {
        policy.verify(plan, &|name| name.table() == "pages")
    }

    #[tokio::test]
    async fn local_files_and_settings_need_an_opt_in() {
        let external = plan("CREATE EXTERNAL TABLE leak (line VARCHAR) STORED AS CSV LOCATION '/etc/hostname'").await;
        let copy = plan("COPY (SELECT 1) TO '/tmp/out.csv' STORED AS CSV").await;
        let view = plan("CREATE VIEW v AS SELECT 1").await;
        let set = plan("SET datafusion.execution.batch_size = 10").await;
        let insert = plan("INSERT INTO t VALUES (1)").await;
        let explained = plan("EXPLAIN COPY (SELECT 1) TO '/tmp/out.csv' STORED AS CSV").await;
        let query = plan("SELECT * FROM t WHERE a IN (SELECT a FROM t)").await;
        let prepare = plan("PREPARE kept(INT) AS SELECT * FROM t WHERE a = $1").await;
        let strict = SqlPolicy::REMOTE;
        for (p, needs) in [
            (&external, "LocalFiles=Read"),
            (&copy, "LocalFiles=ReadWrite"),
            (&view, "LocalFiles=Read"),
            (&set, "AllowSessionSettings=true"),
            (&insert, "LocalFiles=ReadWrite"),
            (&prepare, "AllowSessionSettings=true"),
        ] {
            let message = verdict(strict, p).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains(needs), "{p:?}: {message}");
        }
        assert!(verdict(strict, &explained).is_err(), "what EXPLAIN wraps is checked too");
        assert!(verdict(strict, &query).is_ok());
        let read = SqlPolicy { local_files: LocalFiles::Read, session_settings: false };
        assert!(verdict(read, &external).is_ok() && verdict(read, &view).is_ok());
        assert!(verdict(read, &copy).is_err() && verdict(read, &insert).is_err());
        let all = SqlPolicy { local_files: LocalFiles::ReadWrite, session_settings: true };
        for p in [&external, &copy, &view, &set, &insert, &prepare] {
            assert!(verdict(all, p).is_ok(), "{p:?}");
        }
    }
}
