//! `tasks`: inline tasks of pages and blog posts, from `GET /wiki/api/v2/tasks`.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, FilterRule, ProjectionParam, Table, TableSpec};

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], "Task id."),
    col("local_id", Kind::Text, &["localId"], "Id of the task within its page."),
    col("space_id", Kind::Int, &["spaceId"], "Id of the space."),
    Column { name: "space_key", kind: Kind::Text, source: Source::SpaceKeyOf(&["spaceId"]), doc: "Key of the space." },
    col("page_id", Kind::Int, &["pageId"], "Id of the page (NULL on a blog post)."),
    col("blog_post_id", Kind::Int, &["blogPostId"], "Id of the blog post (NULL on a page)."),
    col("status", Kind::Text, &["status"], "complete or incomplete."),
    col("created_by", Kind::Text, &["createdBy"], "Account id of the creator."),
    col("assigned_to", Kind::Text, &["assignedTo"], "Account id of the assignee."),
    col("completed_by", Kind::Text, &["completedBy"], "Account id of who completed it."),
    col("created_at", Kind::Time, &["createdAt"], "Creation time."),
    col("updated_at", Kind::Time, &["updatedAt"], "Last update."),
    col("due_at", Kind::Time, &["dueAt"], "Due date."),
    col("completed_at", Kind::Time, &["completedAt"], "Completion time."),
    col(
        "body_storage",
        Kind::Text,
        &["body", "storage", "value"],
        "Task text in storage format, fetched only when selected.",
    ),
];

/// The `tasks` table.
pub static TASKS: TableSpec = TableSpec {
    name: "tasks",
    doc: "One row per inline task.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "tasks", max_limit: 250 },
    filters: &[
        FilterRule::exact("id", "task-id", 250),
        FilterRule::exact("status", "status", 1).broad(),
        FilterRule::exact("space_id", "space-id", 250),
        FilterRule::space_key("space_key", "space-id", 250),
        FilterRule::exact("page_id", "page-id", 250),
        FilterRule::exact("blog_post_id", "blogpost-id", 250),
        FilterRule::exact("created_by", "created-by", 250),
        FilterRule::exact("assigned_to", "assigned-to", 250),
        FilterRule::exact("completed_by", "completed-by", 250),
    ],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "body-format", value: "storage" }),
    ..TableSpec::BASE
};

/// `tasks` on both deployments.
pub static TABLE: Table =
    Table { cloud: &TASKS, data_center: Err("Data Center's public REST API has no list of inline tasks") };
