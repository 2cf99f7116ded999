//! The Flight SQL service: every RPC authenticates, then plans or runs through the driver's `Command`.
//!
//! `GetFlightInfo` plans a statement (its schema, no request to Confluence) and returns a ticket holding the
//! statement; `DoGet` runs it and streams the batches as they are produced. Prepared statements are stateless
//! handles ([`crate::handle`]); parameters bound by `DoPut` come back in a new handle.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::{GetCatalogsBuilder, SqlInfoData, XdbcTypeInfoData};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionCancelQueryRequest, ActionCancelQueryResult, ActionClosePreparedStatementRequest,
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult, Any, CommandGetCatalogs,
    CommandGetCrossReference, CommandGetDbSchemas, CommandGetExportedKeys, CommandGetImportedKeys,
    CommandGetPrimaryKeys, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables, CommandGetXdbcTypeInfo,
    CommandPreparedStatementQuery, CommandPreparedStatementUpdate, CommandStatementQuery, CommandStatementUpdate,
    DoPutPreparedStatementResult, ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    Action, ActionType, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus, FlightDescriptor,
    FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, IpcMessage, SchemaAsIpc, Ticket,
};
use confluence_sql::datafusion::arrow::array::{RecordBatch, UInt64Array};
use confluence_sql::datafusion::arrow::datatypes::{DataType, Field, Schema};
use confluence_sql::datafusion::arrow::ipc::writer::IpcWriteOptions;
use confluence_sql::{CancelHandle, Command, ParameterRow, SqlError};
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};

use crate::auth::{Authenticator, Credential, Session};
use crate::error::status;
use crate::handle::{check_batch, check_ipc_header, too_many_parameters, StatementHandle, MAX_PARAMETER_BYTES};
use crate::metadata;

type DoGetStream = <ConfluenceFlightSql as FlightService>::DoGetStream;

/// The name of Flight's cancel action (`CancelFlightInfo`), which arrow-flight leaves to the service.
const CANCEL_FLIGHT_INFO: &str = "CancelFlightInfo";

/// The Flight SQL service of one server.
pub(crate) struct ConfluenceFlightSql {
    auth: Arc<Authenticator>,
    sql_info: Arc<SqlInfoData>,
    xdbc: Arc<XdbcTypeInfoData>,
    running: Arc<Running>,
    bindings: Bindings,
    timeout: Option<std::time::Duration>,
}

impl ConfluenceFlightSql {
    pub fn new(
        auth: Arc<Authenticator>,
        timeout: Option<std::time::Duration>,
    ) -> Result<ConfluenceFlightSql, crate::ServeError> {
        let broken = |e: &dyn std::fmt::Display| crate::ServeError::Config(format!("server metadata: {e}"));
        let read_only = auth.read_only();
        Ok(ConfluenceFlightSql {
            auth,
            sql_info: Arc::new(metadata::sql_info(read_only).map_err(|e| broken(&e))?),
            xdbc: Arc::new(metadata::xdbc_type_info().map_err(|e| broken(&e))?),
            running: Arc::default(),
            bindings: Bindings::default(),
            timeout,
        })
    }

    /// The handle to run: as the client sent it, or, for a client that ignored the handle `DoPut` returned, the
    /// one with the parameters it bound on this instance.
    fn bound(&self, session: &Session, handle: StatementHandle) -> StatementHandle {
        if handle.has_parameters() {
            return handle;
        }
        match &handle.statement_id {
            Some(id) => self.bindings.get(&session.principal, id).unwrap_or(handle),
            None => handle,
        }
    }

    /// The flight of a metadata command, for a logged-in caller: its result schema, and the command as the ticket.
    async fn metadata_info(
        &self,
        request: Request<FlightDescriptor>,
        schema: &Schema,
        command: Any,
    ) -> Result<Response<FlightInfo>, Status> {
        self.session(&request).await?;
        flight_info(schema, command.encode_to_vec(), request.into_inner())
    }

    /// A command of `session` for `sql`, with the server's statement timeout.
    fn command(&self, session: &Session, sql: &str) -> Command {
        let command = session.connection.command(sql);
        match self.timeout {
            Some(timeout) => command.timeout(timeout),
            None => command,
        }
    }

    async fn session<T>(&self, request: &Request<T>) -> Result<Session, Status> {
        self.auth.session(request.metadata(), request.remote_addr().map(|a| a.ip())).await
    }

    /// Runs a statement (once per bound parameter row) and streams its batches. The first batch is read before
    /// answering, so that what fails at once (credentials, permissions, bad parameters) is the call's status.
    async fn execute(&self, session: Session, handle: StatementHandle) -> Result<Response<DoGetStream>, Status> {
        if let Some(affected) = handle.affected {
            // Written when the ticket was made: fetching it again writes nothing.
            let count = u64::try_from(affected).unwrap_or_default();
            let batch = RecordBatch::try_new(count_schema(), vec![Arc::new(UInt64Array::from(vec![count]))])
                .map_err(|e| SqlError::Usage(e.to_string()));
            return batch_stream(batch);
        }
        let cancel = CancelHandle::new();
        let registration = handle
            .query_id
            .as_ref()
            .map(|id| Registration::new(self.running.clone(), id.clone(), session.principal.clone(), cancel.clone()));
        let mut commands: VecDeque<Command> =
            self.commands(&session, &handle)?.into_iter().map(|c| c.cancel_with(cancel.clone())).collect();
        let Some(first) = commands.pop_front() else { return Err(Status::internal("nothing to run")) };
        let mut first = first.execute_stream().await.map_err(|e| status(&e))?;
        let ready = match first.next().await {
            Some(Err(error)) => return Err(status(&error)),
            Some(Ok(batch)) => Some(batch),
            None => None,
        };
        let schema = first.schema();
        let rest = futures::stream::iter(commands)
            .then(|command| async move { command.execute_stream().await })
            .flat_map(|started| match started {
                Ok(stream) => stream.boxed(),
                Err(error) => futures::stream::once(async move { Err(error) }).boxed(),
            });
        let batches = futures::stream::iter(ready.map(Ok)).chain(first).chain(rest).map(move |item| {
            // The registration lives as long as the stream: dropping the stream ends it.
            let _running = &registration;
            item.map_err(|e: SqlError| FlightError::Tonic(Box::new(status(&e))))
        });
        let encoded = FlightDataEncoderBuilder::new().with_schema(schema).build(batches).map_err(Status::from);
        Ok(Response::new(Box::pin(encoded)))
    }

    /// The schema a statement returns with the first of its bound rows (planned only).
    async fn describe(&self, session: &Session, handle: &StatementHandle) -> Result<Arc<Schema>, Status> {
        let mut command = self.command(session, &handle.sql);
        if let Some(row) = handle.parameter_rows()?.first() {
            command = command.bind_row(row);
        }
        command.describe().await.map_err(|e| status(&e))
    }

    /// The schema and ticket handle of a statement: a query is only planned (it runs when the ticket is fetched);
    /// a statement that writes runs now, once, and its ticket carries the count, so fetching the ticket again (a
    /// client's retry) writes nothing more.
    async fn plan_ticket(
        &self,
        session: &Session,
        handle: StatementHandle,
    ) -> Result<(Arc<Schema>, StatementHandle), Status> {
        let mut probe = self.command(session, &handle.sql);
        if let Some(row) = handle.parameter_rows()?.first() {
            probe = probe.bind_row(row);
        }
        let info = probe.inspect().await.map_err(|e| status(&e))?;
        if !info.writes {
            return Ok((info.schema, handle));
        }
        let affected = self.update(session, &handle).await?;
        let mut handle = handle;
        handle.affected = Some(affected);
        Ok((count_schema(), handle))
    }

    /// Runs a statement that changes data, once per bound row, and returns the rows affected.
    async fn update(&self, session: &Session, handle: &StatementHandle) -> Result<i64, Status> {
        let mut affected = 0u64;
        let commands = self.commands(session, handle)?;
        let runs = commands.len();
        for (index, command) in commands.into_iter().enumerate() {
            match command.execute_non_query().await {
                Ok(n) => affected += n,
                // The runs before it wrote, and nothing is rolled back: say so.
                Err(error) if index > 0 => {
                    let failed = status(&error);
                    return Err(Status::new(
                        failed.code(),
                        format!(
                            "parameter row {} of {runs} failed after the rows before it wrote {affected} row(s), which \
                             stay written: {}",
                            index + 1,
                            failed.message()
                        ),
                    ));
                }
                Err(error) => return Err(status(&error)),
            }
        }
        Ok(i64::try_from(affected).unwrap_or(i64::MAX))
    }

    /// The commands that run a statement: one per bound parameter row, or one when nothing is bound.
    fn commands(&self, session: &Session, handle: &StatementHandle) -> Result<Vec<Command>, Status> {
        let rows = handle.parameter_rows()?;
        if rows.is_empty() {
            return Ok(vec![self.command(session, &handle.sql)]);
        }
        Ok(rows.iter().map(|row| self.command(session, &handle.sql).bind_row(row)).collect())
    }

    /// The bound batches, their columns numbered in order when the statement's parameters are positional: Flight
    /// SQL clients name parameter columns as they like (`param_0`, `0`, the parameter schema's `$1`), and bind
    /// them by position. A statement with named parameters (`@space`) binds columns by name.
    async fn positional(
        &self,
        session: &Session,
        sql: &str,
        batches: Vec<RecordBatch>,
    ) -> Result<Vec<RecordBatch>, Status> {
        if batches.iter().all(ParameterRow::all_positional) {
            return Ok(batches);
        }
        let named = match session.connection.command(sql).prepare().await {
            Ok(prepared) => prepared.parameter_schema().fields().iter().any(|f| !f.name().starts_with('$')),
            Err(_) => true,
        };
        if named {
            return Ok(batches);
        }
        batches
            .into_iter()
            .map(|batch| {
                let fields: Vec<Field> = batch
                    .schema()
                    .fields()
                    .iter()
                    .enumerate()
                    .map(|(i, f)| f.as_ref().clone().with_name((i + 1).to_string()))
                    .collect();
                RecordBatch::try_new(Arc::new(Schema::new(fields)), batch.columns().to_vec())
                    .map_err(|e| Status::invalid_argument(format!("the bound parameters: {e}")))
            })
            .collect()
    }

    /// Stops the executions a `FlightInfo` names, if they are the caller's and still running.
    fn cancel(&self, session: &Session, info: &FlightInfo) -> bool {
        let mut cancelled = false;
        for endpoint in &info.endpoint {
            let Some(ticket) = &endpoint.ticket else { continue };
            let Ok(any) = Any::decode(ticket.ticket.as_ref()) else { continue };
            let handle = if let Ok(Some(t)) = any.unpack::<TicketStatementQuery>() {
                StatementHandle::decode(&t.statement_handle).ok()
            } else if let Ok(Some(p)) = any.unpack::<CommandPreparedStatementQuery>() {
                StatementHandle::decode(&p.prepared_statement_handle).ok()
            } else {
                None
            };
            if let Some(id) = handle.and_then(|h| h.query_id) {
                cancelled |= self.running.cancel(&id, &session.principal);
            }
        }
        cancelled
    }
}

/// The flight of a ticket: the schema, one endpoint with the ticket, the request's descriptor.
fn flight_info(schema: &Schema, ticket: Vec<u8>, descriptor: FlightDescriptor) -> Result<Response<FlightInfo>, Status> {
    let info = FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(format!("cannot encode the schema: {e}")))?
        .with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket)))
        .with_descriptor(descriptor)
        .with_ordered(true);
    Ok(Response::new(info))
}

/// A ready result as a `DoGet` stream.
/// The schema of a write's result: one `count` row.
fn count_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![Field::new("count", DataType::UInt64, false)]))
}

fn batch_stream(batch: Result<RecordBatch, SqlError>) -> Result<Response<DoGetStream>, Status> {
    let batch = batch.map_err(|e| status(&e))?;
    let schema = batch.schema();
    let stream = FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(futures::stream::once(async move { Ok(batch) }))
        .map_err(Status::from);
    Ok(Response::new(Box::pin(stream)))
}

fn arrow_error(error: impl std::fmt::Display) -> SqlError {
    SqlError::Usage(format!("cannot build the metadata result: {error}"))
}

/// The schema as the IPC message Flight SQL puts in prepared-statement results.
fn schema_bytes(schema: &Schema) -> Result<bytes::Bytes, Status> {
    let message: IpcMessage = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e| Status::internal(format!("cannot encode the schema: {e}")))?;
    Ok(message.0)
}

#[tonic::async_trait]
impl FlightSqlService for ConfluenceFlightSql {
    type FlightService = ConfluenceFlightSql;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>, Status> {
        let peer = request.remote_addr().map(|a| a.ip());
        let metadata = request.metadata().clone();
        // Clients of Flight's older Basic scheme send the name and password in the first message instead.
        let payload = match Credential::from_metadata(&metadata) {
            Ok(_) => None,
            Err(_) => {
                let mut messages = request.into_inner();
                match messages.message().await? {
                    Some(first) => arrow_flight::BasicAuth::decode(first.payload.as_ref())
                        .ok()
                        .filter(|auth| !auth.username.is_empty() || !auth.password.is_empty())
                        .map(|auth| Credential::Basic {
                            user: auth.username,
                            password: connstr::Secret::new(auth.password),
                        }),
                    None => None,
                }
            }
        };
        let token = self.auth.handshake(&metadata, payload, peer).await?;
        let bearer = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("cannot put the token in a header"))?;
        let reply = HandshakeResponse { protocol_version: 0, payload: token.into_bytes().into() };
        let mut response: Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>> =
            Response::new(Box::pin(futures::stream::once(async move { Ok(reply) })));
        response.metadata_mut().insert("authorization", bearer);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request).await?;
        let handle = StatementHandle::new(query.query);
        let (schema, handle) = self.plan_ticket(&session, handle).await?;
        let ticket = TicketStatementQuery { statement_handle: handle.ticket()?.encode() };
        flight_info(&schema, ticket.as_any().encode_to_vec(), request.into_inner())
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = self.session(&request).await?;
        let handle = self.bound(&session, StatementHandle::decode(&query.prepared_statement_handle)?);
        let (schema, handle) = self.plan_ticket(&session, handle).await?;
        let ticket = CommandPreparedStatementQuery { prepared_statement_handle: handle.ticket()?.encode() };
        flight_info(&schema, ticket.as_any().encode_to_vec(), request.into_inner())
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = GetCatalogsBuilder::new().schema();
        self.metadata_info(request, &schema, query.as_any()).await
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        self.metadata_info(request, &schema, query.as_any()).await
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        self.metadata_info(request, &schema, query.as_any()).await
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        self.metadata_info(request, &schema, query.as_any()).await
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = self.sql_info.schema();
        self.metadata_info(request, &schema, query.as_any()).await
    }

    async fn get_flight_info_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.metadata_info(request, &metadata::primary_keys_schema(), query.as_any()).await
    }

    async fn get_flight_info_exported_keys(
        &self,
        query: CommandGetExportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.metadata_info(request, &metadata::foreign_keys_schema(), query.as_any()).await
    }

    async fn get_flight_info_imported_keys(
        &self,
        query: CommandGetImportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.metadata_info(request, &metadata::foreign_keys_schema(), query.as_any()).await
    }

    async fn get_flight_info_cross_reference(
        &self,
        query: CommandGetCrossReference,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.metadata_info(request, &metadata::foreign_keys_schema(), query.as_any()).await
    }

    async fn get_flight_info_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = self.xdbc.schema();
        self.metadata_info(request, &schema, query.as_any()).await
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = self.session(&request).await?;
        self.execute(session, StatementHandle::decode(&ticket.statement_handle)?).await
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let handle = self.bound(&session, StatementHandle::decode(&query.prepared_statement_handle)?);
        self.execute(session, handle).await
    }

    async fn do_get_catalogs(
        &self,
        _query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let mut builder = GetCatalogsBuilder::new();
        let mut catalogs: Vec<String> = metadata::tables(&session.connection)
            .await
            .map_err(|e| status(&e))?
            .into_iter()
            .map(|t| t.catalog)
            .collect();
        catalogs.sort();
        catalogs.dedup();
        for catalog in catalogs {
            builder.append(catalog);
        }
        batch_stream(builder.build().map_err(arrow_error))
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let mut builder = query.into_builder();
        let mut seen = Vec::new();
        for table in metadata::tables(&session.connection).await.map_err(|e| status(&e))? {
            if !seen.contains(&(table.catalog.clone(), table.schema.clone())) {
                builder.append(&table.catalog, &table.schema);
                seen.push((table.catalog, table.schema));
            }
        }
        batch_stream(builder.build().map_err(arrow_error))
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let include_schema = query.include_schema;
        let mut builder = query.into_builder();
        for table in metadata::tables(&session.connection).await.map_err(|e| status(&e))? {
            let schema = if include_schema {
                session
                    .connection
                    .table_schema(Some(&table.catalog), Some(&table.schema), &table.name)
                    .await
                    .map_err(|e| status(&e))?
            } else {
                Arc::new(Schema::empty())
            };
            builder
                .append(&table.catalog, &table.schema, &table.name, &table.table_type, &schema)
                .map_err(|e| status(&arrow_error(e)))?;
        }
        batch_stream(builder.build().map_err(arrow_error))
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        let mut builder = query.into_builder();
        for table_type in metadata::TABLE_TYPES {
            builder.append(table_type);
        }
        batch_stream(builder.build().map_err(arrow_error))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        batch_stream(query.into_builder(&self.sql_info).build().map_err(arrow_error))
    }

    async fn do_get_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = self.session(&request).await?;
        let batch = metadata::primary_keys(
            &session.connection,
            query.catalog.as_deref(),
            query.db_schema.as_deref(),
            &query.table,
        )
        .await;
        batch_stream(batch)
    }

    async fn do_get_exported_keys(
        &self,
        _query: CommandGetExportedKeys,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        batch_stream(Ok(metadata::no_foreign_keys()))
    }

    async fn do_get_imported_keys(
        &self,
        _query: CommandGetImportedKeys,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        batch_stream(Ok(metadata::no_foreign_keys()))
    }

    async fn do_get_cross_reference(
        &self,
        _query: CommandGetCrossReference,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        batch_stream(Ok(metadata::no_foreign_keys()))
    }

    async fn do_get_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        self.session(&request).await?;
        batch_stream(query.into_builder(&self.xdbc).build().map_err(arrow_error))
    }

    async fn do_put_statement_update(
        &self,
        query: CommandStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let session = self.session(&request).await?;
        self.update(&session, &StatementHandle::new(query.query)).await
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let session = self.session(&request).await?;
        let handle = StatementHandle::decode(&query.prepared_statement_handle)?;
        let batches = read_parameters(request.into_inner()).await?;
        let batches = self.positional(&session, &handle.sql, batches).await?;
        let bound = handle.with_parameters(&batches)?;
        // The values are checked now (types, names), so a bad binding fails here rather than at execution.
        self.describe(&session, &bound).await?;
        if let Some(id) = &bound.statement_id {
            self.bindings.insert(&session.principal, id, bound.clone());
        }
        Ok(DoPutPreparedStatementResult { prepared_statement_handle: Some(bound.encode()) })
    }

    async fn do_put_prepared_statement_update(
        &self,
        query: CommandPreparedStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let session = self.session(&request).await?;
        let handle = self.bound(&session, StatementHandle::decode(&query.prepared_statement_handle)?);
        let batches = read_parameters(request.into_inner()).await?;
        let batches = self.positional(&session, &handle.sql, batches).await?;
        let handle = if batches.is_empty() { handle } else { handle.with_parameters(&batches)? };
        self.update(&session, &handle).await
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let session = self.session(&request).await?;
        if query.transaction_id.is_some() {
            return Err(Status::invalid_argument("transactions are not supported"));
        }
        let handle = StatementHandle::prepared(query.query)?;
        let (schema, parameters) = match session.connection.command(handle.sql.clone()).prepare().await {
            Ok(prepared) => (schema_bytes(&prepared.schema())?, schema_bytes(&prepared.parameter_schema())?),
            // Parameters of table functions and procedures are planned with their values: the schemas are known
            // once the values are bound.
            Err(SqlError::Parameter(_)) => (bytes::Bytes::new(), bytes::Bytes::new()),
            Err(error) => return Err(status(&error)),
        };
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.encode(),
            dataset_schema: schema,
            parameter_schema: parameters,
        })
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        // Handles hold everything; only a binding kept for a client that ignores returned handles is freed.
        let session = self.session(&request).await?;
        if let Some(id) = StatementHandle::decode(&query.prepared_statement_handle)?.statement_id {
            self.bindings.remove(&session.principal, &id);
        }
        Ok(())
    }

    async fn do_action_cancel_query(
        &self,
        query: ActionCancelQueryRequest,
        request: Request<Action>,
    ) -> Result<ActionCancelQueryResult, Status> {
        let session = self.session(&request).await?;
        let info = FlightInfo::decode(query.info.as_ref())
            .map_err(|e| Status::invalid_argument(format!("not a FlightInfo: {e}")))?;
        // `CancelResult` (not exported by arrow-flight): 1 cancelled, 3 not cancellable.
        let result = if self.cancel(&session, &info) { 1 } else { 3 };
        Ok(ActionCancelQueryResult { result })
    }

    async fn do_action_fallback(
        &self,
        request: Request<Action>,
    ) -> Result<Response<<Self as FlightService>::DoActionStream>, Status> {
        if request.get_ref().r#type != CANCEL_FLIGHT_INFO {
            return Err(Status::invalid_argument(format!("unknown action {:?}", request.get_ref().r#type)));
        }
        let session = self.session(&request).await?;
        let cancel = CancelFlightInfoRequest::decode(request.get_ref().body.as_ref())
            .map_err(|e| Status::invalid_argument(format!("not a CancelFlightInfoRequest: {e}")))?;
        let info = cancel.info.ok_or_else(|| Status::invalid_argument("CancelFlightInfo without a FlightInfo"))?;
        let state = if self.cancel(&session, &info) { CancelStatus::Cancelled } else { CancelStatus::NotCancellable };
        let body = CancelFlightInfoResult { status: state as i32 }.encode_to_vec();
        let result = arrow_flight::Result { body: body.into() };
        Ok(Response::new(Box::pin(futures::stream::once(async move { Ok(result) }))))
    }

    async fn list_custom_actions(&self) -> Option<Vec<Result<ActionType, Status>>> {
        Some(vec![Ok(ActionType {
            r#type: CANCEL_FLIGHT_INFO.into(),
            description: "Cancels the executions of a FlightInfo\nRequest Message: CancelFlightInfoRequest\n\
                          Response Message: CancelFlightInfoResult"
                .into(),
        })])
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

/// The parameter batches of a `DoPut`, bounded in size.
async fn read_parameters(stream: PeekableFlightDataStream) -> Result<Vec<RecordBatch>, Status> {
    // Each message's header is checked, and the bodies counted, before arrow decodes them.
    let mut received = 0usize;
    let checked = stream.map(move |data| {
        let data = data?;
        check_ipc_header(&data.data_header)?;
        received = received.saturating_add(data.data_body.len());
        if received > MAX_PARAMETER_BYTES {
            return Err(too_many_parameters());
        }
        Ok(data)
    });
    let mut batches = arrow_flight::decode::FlightRecordBatchStream::new_from_flight_data(
        checked.map_err(|status| FlightError::Tonic(Box::new(status))),
    );
    let mut collected = Vec::new();
    let mut rows = 0usize;
    while let Some(batch) = batches.next().await {
        let batch = batch.map_err(|e| match e {
            FlightError::Tonic(status) => *status,
            other => Status::invalid_argument(format!("the bound parameters: {other}")),
        })?;
        check_batch(&batch, rows)?;
        rows += batch.num_rows();
        collected.push(batch);
    }
    Ok(collected)
}

/// Parameters bound by `DoPut`, kept for clients that ignore the handle `DoPut` returns and send the handle from
/// `CreatePreparedStatement` again (flightsql-dbapi 0.2, Flight SQL clients before protocol 15). Per client and
/// statement id, for [`Bindings::LIFETIME`], at most [`Bindings::MAX_PER_PRINCIPAL`] per client and
/// [`Bindings::MAX`] in all (each at most 1 MiB of parameters and the SQL); clients that use the returned handle
/// never need it, and any instance serves them.
#[derive(Default)]
struct Bindings {
    kept: Mutex<HashMap<BindingKey, (StatementHandle, std::time::Instant)>>,
}

/// A client and one of its prepared statements.
type BindingKey = (Arc<str>, String);

impl Bindings {
    const LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);
    const MAX: usize = 2_000;
    const MAX_PER_PRINCIPAL: usize = 32;

    fn insert(&self, principal: &Arc<str>, id: &str, handle: StatementHandle) {
        // Ids this server issued are tokens of a fixed length; anything else is not kept.
        if id.len() != 43 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|_, (_, at)| at.elapsed() < Self::LIFETIME);
        let own: Vec<(BindingKey, std::time::Instant)> =
            kept.iter().filter(|((p, _), _)| p == principal).map(|(k, (_, at))| (k.clone(), *at)).collect();
        if own.len() >= Self::MAX_PER_PRINCIPAL {
            if let Some((oldest, _)) = own.iter().min_by_key(|(_, at)| *at) {
                kept.remove(oldest);
            }
        }
        if kept.len() >= Self::MAX {
            if let Some(oldest) = kept.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| k.clone()) {
                kept.remove(&oldest);
            }
        }
        kept.insert((principal.clone(), id.to_owned()), (handle, std::time::Instant::now()));
    }

    fn get(&self, principal: &Arc<str>, id: &str) -> Option<StatementHandle> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(&(principal.clone(), id.to_owned()))
            .filter(|(_, at)| at.elapsed() < Self::LIFETIME)
            .map(|(handle, _)| handle.clone())
    }

    fn remove(&self, principal: &Arc<str>, id: &str) {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).remove(&(principal.clone(), id.to_owned()));
    }
}

/// The executions running now, by ticket id (a ticket fetched twice runs twice), so that `CancelFlightInfo` can
/// stop them.
#[derive(Default)]
pub(crate) struct Running {
    queries: Mutex<HashMap<String, Vec<Execution>>>,
    serial: std::sync::atomic::AtomicU64,
}

impl Running {
    /// Cancels the executions of `id` that run for `principal`.
    fn cancel(&self, id: &str, principal: &str) -> bool {
        let queries = self.queries.lock().unwrap_or_else(|p| p.into_inner());
        let mut cancelled = false;
        for (_, owner, handle) in queries.get(id).into_iter().flatten() {
            if owner.as_ref() == principal {
                handle.cancel();
                cancelled = true;
            }
        }
        cancelled
    }
}

/// An execution: its serial number, its client, and the handle that cancels it.
type Execution = (u64, Arc<str>, CancelHandle);

/// One running execution; removed when its stream is dropped.
struct Registration {
    running: Arc<Running>,
    id: String,
    serial: u64,
}

impl Registration {
    fn new(running: Arc<Running>, id: String, principal: Arc<str>, cancel: CancelHandle) -> Registration {
        let serial = running.serial.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        running
            .queries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id.clone())
            .or_default()
            .push((serial, principal, cancel));
        Registration { running, id, serial }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut queries = self.running.queries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = queries.get_mut(&self.id) {
            list.retain(|(serial, _, _)| *serial != self.serial);
            if list.is_empty() {
                queries.remove(&self.id);
            }
        }
    }
}
