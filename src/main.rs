//! The command line: serve | migrate | openapi | clients | keys | token | demo.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use safeguarding_api::auth::{Principal, Role};
use safeguarding_api::clients::{self, model::Grant};
use safeguarding_api::config::Settings;
use safeguarding_api::db::{self, Id};
use safeguarding_api::Application;

#[derive(Parser)]
#[command(
    name = "safeguarding-api",
    version,
    about = "Safeguarding Partnership API"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Manage API clients (bootstrap the first credential here).
    Clients {
        #[command(subcommand)]
        action: ClientsCommand,
    },
    /// Load the two seed meetings (Herefordshire, Nottinghamshire) as sample data.
    Demo,
    /// Key material for JWT_PRIVATE_KEY_FILE.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Sign a token with the service's signing key, for operators bootstrapping the service.
    Token {
        /// Subject of the token: who it is for. Without it each token gets a
        /// subject of its own (`operator-<uuid>`), so two tokens never share
        /// idempotency keys or audit identity by accident.
        #[arg(long)]
        subject: Option<String>,
        /// A platform administrator: creates partnerships.
        #[arg(long)]
        platform_admin: bool,
        /// A role in a partnership, as PARTNERSHIP_ID=ROLE (admin, member, submitter, viewer); repeatable.
        #[arg(long = "role", value_parser = parse_role)]
        roles: Vec<(Id, Role)>,
        /// The organisation the caller acts for.
        #[arg(long)]
        organisation: Option<Id>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 900)]
        lifetime: i64,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new PKCS#8 PEM private key on stdout (EdDSA: Ed25519, or ES256: P-256).
    Generate {
        #[arg(long, default_value = "EdDSA")]
        algorithm: String,
    },
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Create a client and print {"client_id", "client_secret", ...} as JSON.
    Create {
        #[arg(long)]
        name: String,
        /// A platform administrator client: creates partnerships and their clients.
        #[arg(long, conflicts_with_all = ["partnership", "role"])]
        platform_admin: bool,
        /// The partnership of a partnership client.
        #[arg(long, requires = "role")]
        partnership: Option<Id>,
        /// admin, member, submitter or viewer.
        #[arg(long, requires = "partnership")]
        role: Option<Role>,
        /// The organisation the client acts for.
        #[arg(long)]
        organisation: Option<Id>,
    },
}

fn parse_role(s: &str) -> Result<(Id, Role), String> {
    let (id, role) = s.split_once('=').ok_or("expected PARTNERSHIP_ID=ROLE")?;
    let id: Id = id.parse().map_err(|e| format!("bad partnership id: {e}"))?;
    let role: Role = serde_json::from_value(serde_json::Value::String(role.to_owned()))
        .map_err(|_| "role must be admin, member, submitter or viewer".to_owned())?;
    Ok((id, role))
}

/// Each argon2 verification (the token endpoint) allocates 19 MiB. glibc's
/// adaptive mmap threshold would grow past that after the first free, so every
/// blocking thread's arena kept its own 19 MiB for good (measured: +155 MiB of
/// RSS after 40 token requests). A fixed threshold serves such blocks by
/// `mmap`, and returns them to the system when freed.
fn bound_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn main() -> ExitCode {
    bound_allocator();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("safeguarding-api: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Openapi => {
            print!("{}", safeguarding_api::openapi::pretty_json());
            Ok(())
        }
        Command::Serve => {
            let settings = Settings::from_env().map_err(|e| e.to_string())?;
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings.clone())?;
                log::info!(
                    "listening on {}:{} ({})",
                    settings.listen_addr.ip(),
                    app.port(),
                    settings.database.name()
                );
                app.run_until_stopped().await.map_err(|e| e.to_string())
            })
        }
        Command::Migrate => {
            let settings = Settings::from_env().map_err(|e| e.to_string())?;
            let pool = db::build_pool(&settings.database, 1, settings.db_waits)?;
            let mut conn = pool
                .get()
                .map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
            let applied = db::run_migrations(&mut conn)?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Clients {
            action:
                ClientsCommand::Create {
                    name,
                    platform_admin,
                    partnership,
                    role,
                    organisation,
                },
        } => {
            let grant = match (platform_admin, partnership, role) {
                (true, _, _) => Grant::PlatformAdmin,
                (false, Some(partnership_id), Some(role)) => Grant::Partnership {
                    partnership_id,
                    role,
                    organisation_id: organisation,
                },
                _ => return Err("give --platform-admin, or --partnership ID --role ROLE".into()),
            };
            let settings = Settings::from_env().map_err(|e| e.to_string())?;
            let pool = db::build_pool(&settings.database, 1, settings.db_waits)?;
            let mut conn = pool
                .get()
                .map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
            db::run_migrations(&mut conn)?;
            let operator = Principal {
                subject: "command-line".to_owned(),
                organisation_id: None,
                platform_admin: true,
                roles: BTreeMap::new(),
                client: None,
                checked: Default::default(),
            };
            let now = settings.clock.now();
            let issued = db::transaction(&mut conn, |conn| {
                let mut tx = db::Tx::hold(conn, grant.scope(), now)?;
                let fields = clients::rules::ClientFields {
                    name,
                    rate_limit_per_minute: None,
                    rate_limit_burst: None,
                };
                clients::model::create(&mut tx, &operator, fields, grant)
            })
            .map_err(|e| e.problem().detail)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&issued).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::Demo => {
            let settings = Settings::from_env().map_err(|e| e.to_string())?;
            let pool = db::build_pool(&settings.database, 1, settings.db_waits)?;
            let mut conn = pool
                .get()
                .map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
            db::run_migrations(&mut conn)?;
            let actor = Principal {
                subject: "demo".to_owned(),
                organisation_id: None,
                platform_admin: true,
                roles: BTreeMap::new(),
                client: None,
                checked: Default::default(),
            };
            let store =
                safeguarding_api::papers::storage::PaperStore::open(&settings.papers.storage)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let mut loaded = Vec::new();
            for (name, text) in safeguarding_api::demo::FIXTURES {
                let fixture = safeguarding_api::demo::parse(text)?;
                let slug = fixture.partnership.slug.clone();
                match db::transaction(&mut conn, |conn| {
                    safeguarding_api::demo::load(conn, &actor, fixture, settings.clock.now())
                }) {
                    Ok(summary) => {
                        // Its appendices as papers: generated PDFs.
                        for meeting in &summary.meeting_ids {
                            safeguarding_api::papers::demo::attach_appendices(
                                &mut conn,
                                &store,
                                &runtime,
                                &actor,
                                *meeting,
                                settings.clock.now(),
                            )
                            .map_err(|e| format!("{name}: papers: {}", e.problem().detail))?;
                        }
                        loaded.push(summary)
                    }
                    Err(safeguarding_api::error::ApiError::Conflict(_)) => {
                        eprintln!("{name}: the partnership '{slug}' exists already; skipped");
                    }
                    Err(e) => return Err(format!("{name}: {}", e.problem().detail)),
                }
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&loaded).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::Keys {
            action: KeysCommand::Generate { algorithm },
        } => {
            let algorithm = algorithm
                .parse()
                .map_err(|_| format!("unknown algorithm {algorithm}: use EdDSA or ES256"))?;
            print!("{}", safeguarding_api::auth::keys::generate(algorithm)?);
            Ok(())
        }
        Command::Token {
            subject,
            platform_admin,
            roles,
            organisation,
            lifetime,
        } => {
            let settings = Settings::from_env().map_err(|e| e.to_string())?;
            let keys = &settings.token_keys;
            let roles: BTreeMap<Id, Role> = roles.into_iter().collect();
            let subject = subject.unwrap_or_else(|| format!("operator-{}", Id::new()));
            let token = keys
                .issue(&subject, organisation, platform_admin, roles, lifetime)
                .map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
    }
}
