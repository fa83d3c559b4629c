//! People, groups and agencies as minutes name them: "PG", "Philippa
//! Granthier", "D&P", "ALL", "West Mercia Police". Plain functions over the
//! partnership's directory, unit-tested.

use crate::actions::owners::OwnerId;
use crate::db::Id;
use crate::organisations::rules::name_key;
use crate::people::Initials;

#[derive(Debug, Clone, PartialEq)]
pub struct KnownPerson {
    pub id: Id,
    pub full_name: String,
    pub initials: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KnownGroup {
    pub id: Id,
    pub name: String,
    pub short_name: String,
}

/// A member agency of the partnership.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownAgency {
    pub id: Id,
    pub name: String,
}

/// Who and what a document may name: the partnership's people (and the ones
/// the document creates, added as they are planned), groups and members.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub people: Vec<KnownPerson>,
    pub groups: Vec<KnownGroup>,
    pub members: Vec<KnownAgency>,
}

/// Written as initials: letters and digits, upper case, no spaces ("PG",
/// "LM2"), not a name ("Cher").
pub fn looks_like_initials(written: &str) -> bool {
    Initials::parse(written).is_ok() && !written.chars().any(|c| c.is_lowercase())
}

/// Initials made from a name: the first letter of each word ("Sue Thomas"
/// → "ST", "Jean-Paul Smith" → "JPS"), at most 8.
pub fn initials_of(name: &str) -> Option<String> {
    let initials: String = name
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter_map(|word| word.chars().next())
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_uppercase())
        .take(8)
        .collect();
    Initials::parse(&initials).ok().map(Initials::into_inner)
}

impl Directory {
    fn by_initials(&self, written: &str) -> Option<Id> {
        let wanted = Initials::parse(written).ok()?;
        self.people
            .iter()
            .find(|p| p.initials == wanted.as_str())
            .map(|p| p.id)
    }

    fn by_name(&self, written: &str) -> Result<Option<Id>, String> {
        let key = name_key(written);
        let found: Vec<Id> = self
            .people
            .iter()
            .filter(|p| name_key(&p.full_name) == key)
            .map(|p| p.id)
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => Err(format!(
                "{} people of this partnership are named {written}: give their initials",
                many.len()
            )),
        }
    }

    /// A person by initials or name: `None` for a name nobody has (the
    /// caller may create them); an error for initials nobody has, or a name
    /// two people share.
    pub fn person(&self, written: &str) -> Result<Option<Id>, String> {
        let written = written.trim();
        if looks_like_initials(written) {
            return self
                .by_initials(written)
                .map(Some)
                .ok_or_else(|| format!("no person with initials {written} in this partnership"));
        }
        self.by_name(written)
    }

    /// The initials a person named `name` would be created with: free ones,
    /// or an error asking for them.
    pub fn free_initials(&self, name: &str) -> Result<String, String> {
        let initials = initials_of(name)
            .ok_or_else(|| format!("no initials can be made from {name}: give them"))?;
        match self.people.iter().find(|p| p.initials == initials) {
            Some(other) => Err(format!(
                "no person named {name}; the initials {initials} are {}'s: give theirs",
                other.full_name
            )),
            None => Ok(initials),
        }
    }

    fn group(&self, written: &str) -> Option<Id> {
        let key = name_key(written);
        let short = key
            .strip_suffix(" group")
            .filter(|s| !s.is_empty())
            .unwrap_or(&key);
        self.groups
            .iter()
            .find(|g| {
                let own = name_key(&g.short_name);
                own == key || own == short || name_key(&g.name) == key
            })
            .map(|g| g.id)
    }

    /// An owner as minutes write it: `ALL`, initials, a group's short name
    /// ("D&P", "D&P Group") or name, a member agency's name, a person's
    /// name, or an id.
    pub fn owner(&self, written: &str) -> Result<OwnerId, String> {
        let written = written.trim();
        if written.eq_ignore_ascii_case("all") {
            return Ok(OwnerId::AllPartners);
        }
        if let Ok(id) = written.parse::<Id>() {
            if self.people.iter().any(|p| p.id == id) {
                return Ok(OwnerId::Person(id));
            }
            if self.groups.iter().any(|g| g.id == id) {
                return Ok(OwnerId::Group(id));
            }
            if self.members.iter().any(|m| m.id == id) {
                return Ok(OwnerId::Organisation(id));
            }
            return Err("no such person, group or member organisation in this partnership".into());
        }
        if let Some(id) = self
            .by_initials(written)
            .filter(|_| looks_like_initials(written))
        {
            return Ok(OwnerId::Person(id));
        }
        if let Some(id) = self.group(written) {
            return Ok(OwnerId::Group(id));
        }
        let key = name_key(written);
        if let Some(m) = self.members.iter().find(|m| name_key(&m.name) == key) {
            return Ok(OwnerId::Organisation(m.id));
        }
        if looks_like_initials(written) {
            return Err(format!(
                "no person with initials {written} in this partnership"
            ));
        }
        match self.by_name(written)? {
            Some(id) => Ok(OwnerId::Person(id)),
            None => Err(format!(
                "no person, group or member agency named {written} in this partnership"
            )),
        }
    }

    /// The group a meeting is of, by short name, name or id.
    pub fn meeting_group(&self, written: &str) -> Result<Id, String> {
        if let Ok(id) = written.trim().parse::<Id>() {
            if self.groups.iter().any(|g| g.id == id) {
                return Ok(id);
            }
        }
        self.group(written).ok_or_else(|| {
            format!("no group with the short name or name {written} in this partnership")
        })
    }

    /// How a document writes a group owner: its short name, unless a
    /// person has those initials (then its name).
    pub fn group_as_written(&self, id: Id) -> Option<String> {
        let g = self.groups.iter().find(|g| g.id == id)?;
        let taken = looks_like_initials(&g.short_name)
            && self.people.iter().any(|p| p.initials == g.short_name);
        Some(if taken {
            g.name.clone()
        } else {
            g.short_name.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> (Directory, [Id; 6]) {
        let ids = [
            Id::new(),
            Id::new(),
            Id::new(),
            Id::new(),
            Id::new(),
            Id::new(),
        ];
        let person = |i: usize, name: &str, initials: &str| KnownPerson {
            id: ids[i],
            full_name: name.into(),
            initials: initials.into(),
        };
        let d = Directory {
            people: vec![
                person(0, "Philippa Granthier", "PG"),
                person(1, "Sue Thomas", "ST"),
                person(2, "Sue Thomas", "ST2"),
            ],
            groups: vec![KnownGroup {
                id: ids[3],
                name: "Development and Practice Group".into(),
                short_name: "D&P".into(),
            }],
            members: vec![KnownAgency {
                id: ids[4],
                name: "West Mercia Police".into(),
            }],
        };
        (d, ids)
    }

    #[test]
    fn people_by_initials_or_name() {
        let (d, ids) = directory();
        assert_eq!(d.person("PG"), Ok(Some(ids[0])));
        assert_eq!(d.person("philippa  granthier"), Ok(Some(ids[0])));
        assert_eq!(d.person("Liz Murphy"), Ok(None));
        assert!(d.person("XY").unwrap_err().contains("initials XY"));
        assert!(d
            .person("Sue Thomas")
            .unwrap_err()
            .contains("give their initials"));
        assert_eq!(d.person("ST2"), Ok(Some(ids[2])));
    }

    #[test]
    fn owners_as_minutes_write_them() {
        let (d, ids) = directory();
        assert_eq!(d.owner("ALL"), Ok(OwnerId::AllPartners));
        assert_eq!(d.owner("PG"), Ok(OwnerId::Person(ids[0])));
        assert_eq!(d.owner("D&P"), Ok(OwnerId::Group(ids[3])));
        assert_eq!(d.owner("D&P Group"), Ok(OwnerId::Group(ids[3])));
        assert_eq!(
            d.owner("west mercia police"),
            Ok(OwnerId::Organisation(ids[4]))
        );
        assert_eq!(d.owner(&ids[3].to_string()), Ok(OwnerId::Group(ids[3])));
        assert!(d.owner("XY").unwrap_err().contains("initials XY"));
        assert!(d.owner(&ids[5].to_string()).is_err());
        assert!(d.owner("Nobody Known").is_err());
    }

    #[test]
    fn initials_are_made_from_names_unless_taken() {
        let (d, _) = directory();
        assert_eq!(initials_of("Jean-Paul Smith").as_deref(), Some("JPS"));
        assert_eq!(initials_of("Liz Murphy").as_deref(), Some("LM"));
        assert_eq!(initials_of("Émile"), None);
        assert_eq!(d.free_initials("Liz Murphy"), Ok("LM".into()));
        assert!(d
            .free_initials("Sam Tate")
            .unwrap_err()
            .contains("ST are Sue Thomas's"));
        assert!(looks_like_initials("LM2"));
        assert!(!looks_like_initials("Cher"));
    }
}
