// One schema for both backends: ids and timestamps use the shared column
// types of `db::types`, which map to native types on PostgreSQL and text on SQLite.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    partnerships (id) {
        id -> UuidSql,
        name -> Text,
        slug -> Text,
        area -> Text,
        action_reference_format -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    organisations (id) {
        id -> UuidSql,
        name -> Text,
        name_key -> Text,
        kind -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    partnership_members (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        organisation_id -> UuidSql,
        role -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    people (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        full_name -> Text,
        initials -> Text,
        job_title -> Nullable<Text>,
        organisation_id -> Nullable<UuidSql>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    partnership_groups (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        name -> Text,
        short_name -> Text,
        parent_group_id -> Nullable<UuidSql>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    audit_events (id) {
        id -> UuidSql,
        partnership_id -> Nullable<UuidSql>,
        actor -> Text,
        actor_organisation_id -> Nullable<UuidSql>,
        occurred_at -> TimestampSql,
        action -> Text,
        resource_type -> Text,
        resource_id -> UuidSql,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        note -> Nullable<Text>,
        seq -> BigInt,
        version -> Nullable<Integer>,
    }
}

diesel::table! {
    counters (scope, name) {
        scope -> Text,
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::TimestampSql;

    idempotency_keys (caller, idempotency_key) {
        caller -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        created_at -> TimestampSql,
    }
}

diesel::joinable!(partnership_members -> partnerships (partnership_id));
diesel::joinable!(partnership_members -> organisations (organisation_id));
diesel::joinable!(people -> partnerships (partnership_id));
diesel::joinable!(webhook_cursors -> webhooks (webhook_id));
diesel::joinable!(partnership_groups -> partnerships (partnership_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    api_clients (id) {
        id -> UuidSql,
        partnership_id -> Nullable<UuidSql>,
        name -> Text,
        role -> Nullable<Text>,
        organisation_id -> Nullable<UuidSql>,
        platform_admin -> Bool,
        secret_hash -> Text,
        revoked_at -> Nullable<TimestampSql>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
        rate_limit_per_minute -> Nullable<Integer>,
        rate_limit_burst -> Nullable<Integer>,
        secret_generation -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    meetings (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        group_id -> UuidSql,
        title -> Text,
        starts_at -> TimestampSql,
        ends_at -> Nullable<TimestampSql>,
        location -> Nullable<Text>,
        status -> Text,
        minutes_status -> Text,
        previous_meeting_id -> Nullable<UuidSql>,
        approved_at_meeting_id -> Nullable<UuidSql>,
        release_at -> Nullable<TimestampSql>,
        no_declarations -> Bool,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    agenda_items (id) {
        id -> UuidSql,
        meeting_id -> UuidSql,
        partnership_id -> UuidSql,
        number -> Nullable<Text>,
        title -> Text,
        presenter_person_id -> Nullable<UuidSql>,
        minutes -> Nullable<Text>,
        confidential -> Bool,
        not_minuted -> Bool,
        position -> Integer,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    attendees (id) {
        id -> UuidSql,
        meeting_id -> UuidSql,
        partnership_id -> UuidSql,
        person_id -> Nullable<UuidSql>,
        guest_name -> Nullable<Text>,
        guest_organisation -> Nullable<Text>,
        attendance -> Text,
        role -> Text,
        deputising_for_person_id -> Nullable<UuidSql>,
        arrived_at -> Nullable<TimestampSql>,
        left_at -> Nullable<TimestampSql>,
        attended_item_ids -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    decisions (id) {
        id -> UuidSql,
        item_id -> UuidSql,
        meeting_id -> UuidSql,
        partnership_id -> UuidSql,
        outcome -> Text,
        text -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    declarations (id) {
        id -> UuidSql,
        meeting_id -> UuidSql,
        partnership_id -> UuidSql,
        person_id -> UuidSql,
        item_id -> Nullable<UuidSql>,
        text -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    metrics (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        code -> Text,
        name -> Text,
        unit -> Text,
        min_hundredths -> Nullable<BigInt>,
        max_hundredths -> Nullable<BigInt>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    metric_values (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        metric_id -> UuidSql,
        organisation_id -> UuidSql,
        period -> Text,
        value_hundredths -> BigInt,
        comment -> Nullable<Text>,
        submitted_by -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
        data_request_id -> Nullable<UuidSql>,
        late -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    data_requests (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        period -> Text,
        metrics -> Text,
        organisation_ids -> Text,
        due_date -> Text,
        status -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    actions (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        number -> BigInt,
        meeting_id -> Nullable<UuidSql>,
        item_id -> Nullable<UuidSql>,
        description -> Text,
        due_date -> Nullable<Text>,
        due_meeting_id -> Nullable<UuidSql>,
        due_text -> Nullable<Text>,
        status -> Text,
        completed_on -> Nullable<Text>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    action_updates (id) {
        id -> UuidSql,
        action_id -> UuidSql,
        partnership_id -> UuidSql,
        noted_on -> Text,
        note -> Text,
        author_person_id -> Nullable<UuidSql>,
        status -> Nullable<Text>,
        reported_at_meeting_id -> Nullable<UuidSql>,
        recorded_by -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    minutes_snapshots (meeting_id) {
        meeting_id -> UuidSql,
        partnership_id -> UuidSql,
        document -> Text,
        taken_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    access_log (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        occurred_at -> TimestampSql,
        subject -> Text,
        organisation_id -> Nullable<UuidSql>,
        role -> Nullable<Text>,
        outcome -> Text,
        resource_type -> Text,
        resource_id -> UuidSql,
        operation -> Text,
    }
}

diesel::joinable!(access_log -> partnerships (partnership_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::UuidSql;

    /// An action's owners in order: a person, a group, a member organisation
    /// or all partners (`kind`), with the one reference its kind names.
    action_owners (action_id, position) {
        action_id -> UuidSql,
        position -> Integer,
        kind -> Text,
        person_id -> Nullable<UuidSql>,
        group_id -> Nullable<UuidSql>,
        organisation_id -> Nullable<UuidSql>,
    }
}

diesel::joinable!(action_owners -> actions (action_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    /// A partnership's risk-scoring bands (its id is the partnership's).
    risk_scoring (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        amber_from -> Integer,
        red_from -> Integer,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    risks (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        number -> BigInt,
        title -> Text,
        description -> Nullable<Text>,
        category -> Nullable<Text>,
        owner_person_id -> Nullable<UuidSql>,
        owner_organisation_id -> Nullable<UuidSql>,
        status -> Text,
        likelihood -> Integer,
        impact -> Integer,
        score -> Integer,
        previous_score -> Nullable<Integer>,
        assessed_on -> Text,
        controls -> Nullable<Text>,
        planned_mitigations -> Nullable<Text>,
        target_score -> Nullable<Integer>,
        next_review_date -> Nullable<Text>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    risk_assessments (id) {
        id -> UuidSql,
        risk_id -> UuidSql,
        partnership_id -> UuidSql,
        assessed_on -> Text,
        likelihood -> Integer,
        impact -> Integer,
        score -> Integer,
        note -> Nullable<Text>,
        assessor_person_id -> Nullable<UuidSql>,
        recorded_by -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::UuidSql;

    /// The actions of the log that mitigate a risk, in order.
    risk_mitigations (risk_id, position) {
        risk_id -> UuidSql,
        position -> Integer,
        action_id -> UuidSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    risk_escalations (id) {
        id -> UuidSql,
        risk_id -> UuidSql,
        partnership_id -> UuidSql,
        group_id -> UuidSql,
        meeting_id -> UuidSql,
        item_id -> UuidSql,
        escalated_by -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::joinable!(risk_assessments -> risks (risk_id));
diesel::joinable!(risk_mitigations -> risks (risk_id));
diesel::joinable!(risk_escalations -> risks (risk_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    budgets (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        financial_year -> Text,
        status -> Text,
        published -> Bool,
        reserve_target_pence -> Nullable<BigInt>,
        opening_reserve_pence -> Nullable<BigInt>,
        closing_reserve_pence -> Nullable<BigInt>,
        notes -> Nullable<Text>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    budget_contributions (id) {
        id -> UuidSql,
        budget_id -> UuidSql,
        partnership_id -> UuidSql,
        organisation_id -> UuidSql,
        amount_pence -> BigInt,
        status -> Text,
        note -> Nullable<Text>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    budget_lines (id) {
        id -> UuidSql,
        budget_id -> UuidSql,
        partnership_id -> UuidSql,
        name -> Text,
        kind -> Text,
        planned_pence -> BigInt,
        description -> Nullable<Text>,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    budget_transactions (id) {
        id -> UuidSql,
        budget_id -> UuidSql,
        partnership_id -> UuidSql,
        line_id -> UuidSql,
        date -> Text,
        amount_pence -> BigInt,
        description -> Text,
        kind -> Text,
        from_reserve -> Bool,
        reference -> Nullable<Text>,
        reverses_id -> Nullable<UuidSql>,
        recorded_by -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    webhooks (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        url -> Text,
        event_types -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        secret_sealed -> Text,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    webhook_cursors (webhook_id) {
        webhook_id -> UuidSql,
        after_seq -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<TimestampSql>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    webhook_deliveries (id) {
        id -> UuidSql,
        webhook_id -> UuidSql,
        partnership_id -> UuidSql,
        seq -> BigInt,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<TimestampSql>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> TimestampSql,
        delivered_at -> Nullable<TimestampSql>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    raised_events (kind, subject_id, occasion) {
        kind -> Text,
        subject_id -> UuidSql,
        occasion -> Text,
        partnership_id -> UuidSql,
        raised_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    papers (id) {
        id -> UuidSql,
        partnership_id -> UuidSql,
        meeting_id -> UuidSql,
        item_id -> UuidSql,
        label -> Nullable<Text>,
        title -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        withdrawn -> Bool,
        version -> Integer,
        created_at -> TimestampSql,
        updated_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    paper_versions (paper_id, version) {
        paper_id -> UuidSql,
        version -> Integer,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        created_at -> TimestampSql,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::TimestampSql;

    token_failures (key) {
        key -> Text,
        window_started -> TimestampSql,
        failures -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{UuidSql, TimestampSql};

    token_sources (client_id, source) {
        client_id -> UuidSql,
        source -> Text,
        succeeded_at -> TimestampSql,
    }
}

diesel::joinable!(token_sources -> api_clients (client_id));

diesel::allow_tables_to_appear_in_same_query!(
    partnerships,
    organisations,
    partnership_members,
    people,
    partnership_groups,
    audit_events,
    counters,
    webhooks,
    webhook_cursors,
    papers,
    paper_versions,
    webhook_deliveries,
    raised_events,
    token_failures,
    token_sources,
    idempotency_keys,
    api_clients,
    meetings,
    agenda_items,
    attendees,
    decisions,
    declarations,
    metrics,
    metric_values,
    data_requests,
    actions,
    action_owners,
    action_updates,
    minutes_snapshots,
    access_log,
    risk_scoring,
    risks,
    risk_assessments,
    risk_mitigations,
    risk_escalations,
    budgets,
    budget_contributions,
    budget_lines,
    budget_transactions,
);
