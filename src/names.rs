//! Records named as the minutes name them. The bodies of the meeting's
//! records that take a person's id (attendance and deputies, presenters,
//! declarations, updates' authors) also take their initials (`"PG"`), those
//! that take a group's id (meetings, a group's parent) its short name
//! (`"D&P"`), those that take an organisation's id (members, people) its
//! exact registered name (compared as the registry compares names: ignoring
//! case and runs of spaces). A handler reads such a body as JSON, and [`read`] replaces each
//! name by the id it names before the body becomes its form; a name nobody
//! has is a 404 naming the field, as an unknown id is.

use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};

use crate::db::schema::{partnership_groups, people};
use crate::db::{DbConnection, Id};
use crate::error::{ApiError, FieldError};
use crate::people::Initials;

/// What a named field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// By initials, within the partnership.
    Person,
    /// By short name, within the partnership.
    Group,
    /// By registered name, in the shared registry.
    Organisation,
}

fn find(
    conn: &mut DbConnection,
    partnership_id: Id,
    kind: Kind,
    name: &str,
) -> Result<Option<Id>, ApiError> {
    Ok(match kind {
        Kind::Person => match Initials::parse(name) {
            Ok(initials) => people::table
                .filter(people::partnership_id.eq(partnership_id))
                .filter(people::initials.eq(initials.as_str()))
                .select(people::id)
                .first(conn)
                .optional()?,
            Err(_) => None,
        },
        Kind::Group => {
            let key = crate::organisations::rules::name_key(name);
            partnership_groups::table
                .filter(partnership_groups::partnership_id.eq(partnership_id))
                .select((partnership_groups::id, partnership_groups::short_name))
                .load::<(Id, String)>(conn)?
                .into_iter()
                .find(|(_, short)| crate::organisations::rules::name_key(short) == key)
                .map(|(id, _)| id)
        }
        Kind::Organisation => crate::organisations::model::find_by_name(conn, name)?.map(|o| o.id),
    })
}

fn missing(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Person => format!("no person with initials {name} in this partnership"),
        Kind::Group => format!("no group with the short name {name} in this partnership"),
        Kind::Organisation => format!("no organisation named {name} in the registry"),
    }
}

/// `body` read into its form, each of `fields` that holds a name (a string
/// that is not an id) replaced by the id of what it names in the
/// partnership; every name nobody has is a 404 naming its field.
pub fn read<T: DeserializeOwned>(
    conn: &mut DbConnection,
    partnership_id: Id,
    mut body: Value,
    fields: &[(&str, Kind)],
) -> Result<T, ApiError> {
    let mut unknown = Vec::new();
    if let Some(object) = body.as_object_mut() {
        for (field, kind) in fields {
            let Some(Value::String(name)) = object.get(*field) else {
                continue;
            };
            if name.parse::<Id>().is_ok() {
                continue;
            }
            let name = name.clone();
            match find(conn, partnership_id, *kind, &name)? {
                Some(id) => {
                    object.insert((*field).to_owned(), Value::String(id.to_string()));
                }
                None => {
                    // Held by the nil id while the rest of the body is read.
                    object.insert(
                        (*field).to_owned(),
                        Value::String(Id(uuid::Uuid::nil()).to_string()),
                    );
                    unknown.push(FieldError::new(*field, missing(*kind, &name)));
                }
            }
        }
    }
    // A malformed field is a 422 whether or not another names nobody.
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    let form = crate::http::json::parse(&bytes)?;
    if unknown.is_empty() {
        Ok(form)
    } else {
        Err(ApiError::MissingReference(unknown))
    }
}

fn id_or(name: ObjectBuilder) -> AnyOfBuilder {
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .item(name)
}

fn nullable(any: AnyOfBuilder) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(any)
        .into()
}

fn initials() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[A-Za-z][A-Za-z0-9]{0,7}$"))
        .description(Some("The person's initials"))
}

fn short_name() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(20))
        .description(Some("The group's short name"))
}

fn registered_name() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(200))
        .description(Some("The organisation's registered name"))
}

/// A person: their id or initials.
pub fn person() -> RefOr<Schema> {
    id_or(initials())
        .description(Some("A person of the partnership: id or initials"))
        .into()
}

pub fn nullable_person() -> RefOr<Schema> {
    nullable(id_or(initials()).description(Some("A person of the partnership: id or initials")))
}

/// A group: its id or short name.
pub fn group() -> RefOr<Schema> {
    id_or(short_name())
        .description(Some("A group of the partnership: id or short name"))
        .into()
}

pub fn nullable_group() -> RefOr<Schema> {
    nullable(id_or(short_name()).description(Some("A group of the partnership: id or short name")))
}

/// An organisation: its id or registered name.
pub fn organisation() -> RefOr<Schema> {
    id_or(registered_name())
        .description(Some(
            "An organisation of the registry: id or registered name",
        ))
        .into()
}

pub fn nullable_organisation() -> RefOr<Schema> {
    nullable(id_or(registered_name()).description(Some(
        "An organisation of the registry: id or registered name",
    )))
}
