//! The card image: the whole file system of a virtual card in a JSON file, so its contents
//! survive the card being pulled out and put back (a real card keeps them in EEPROM).
//!
//! ```json
//! {
//!   "format": "card-agent virtual card",
//!   "version": 1,
//!   "profile": "iso",
//!   "capacity": 32768,
//!   "files": [
//!     { "type": "df", "fid": "5000", "name": "a0000000010203", "children": [
//!       { "type": "ef", "fid": "5001", "sfi": 1, "data": "00ff..." }
//!     ] }
//!   ]
//! }
//! ```
//! `files` are the MF's children; FIDs are 4 hex digits, DF names and EF contents hex (an EF's
//! size is its number of bytes). A save writes a temporary file beside the image and renames
//! it over the image, so a process killed at any moment leaves either the old or the new
//! image, never half of one. (No fsync: the image survives the card process, not a power cut
//! of the machine.)

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::fs::{reserved_fid, Df, Ef, Node, MF_FID};
use crate::cli::VirtualCardProfile;

/// The `format` field of every image.
const FORMAT: &str = "card-agent virtual card";
/// The `version` field this code writes and reads.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageFile {
    format: String,
    version: u32,
    profile: String,
    capacity: usize,
    files: Vec<ImageNode>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ImageNode {
    Df {
        fid: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        children: Vec<ImageNode>,
    },
    Ef {
        fid: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sfi: Option<u8>,
        data: String,
    },
}

/// A card's persistent state, as stored in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub profile: VirtualCardProfile,
    pub capacity: usize,
    pub mf: Df,
}

fn profile_name(profile: VirtualCardProfile) -> String {
    profile
        .to_possible_value()
        .map_or_else(|| format!("{profile:?}"), |v| v.get_name().to_owned())
}

/// The image text of a card.
///
/// # Errors
/// Only if serde_json fails on these plain structs.
pub(crate) fn to_json(stored: &Stored) -> serde_json::Result<String> {
    let image = ImageFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        profile: profile_name(stored.profile),
        capacity: stored.capacity,
        files: stored.mf.children.iter().map(node_to_image).collect(),
    };
    serde_json::to_string_pretty(&image)
}

fn node_to_image(node: &Node) -> ImageNode {
    match node {
        Node::Df(df) => ImageNode::Df {
            fid: format!("{:04x}", df.fid),
            name: df.name.as_ref().map(hex::encode),
            children: df.children.iter().map(node_to_image).collect(),
        },
        Node::Ef(ef) => ImageNode::Ef {
            fid: format!("{:04x}", ef.fid),
            sfi: ef.sfi,
            data: hex::encode(&ef.data),
        },
    }
}

/// Reads image text and checks it describes a card this code can be: known format, version
/// and profile; FIDs, short identifiers and DF names valid and unique where ISO 7816-4 wants
/// them unique; contents within the capacity.
///
/// # Errors
/// What is wrong, in words.
pub(crate) fn from_json(text: &str) -> anyhow::Result<Stored> {
    let image: ImageFile = serde_json::from_str(text).context("not a virtual card image")?;
    ensure!(
        image.format == FORMAT,
        "not a virtual card image (format {:?})",
        image.format
    );
    ensure!(
        image.version == VERSION,
        "virtual card image version {} (this program reads version {VERSION})",
        image.version
    );
    let profile = VirtualCardProfile::from_str(&image.profile, false)
        .map_err(|_| anyhow::anyhow!("unknown card profile {:?}", image.profile))?;
    let mut names = Vec::new();
    let mf = Df {
        fid: MF_FID,
        name: None,
        children: children_from_image(image.files, "3f00", &mut names)?,
    };
    let used = mf.used();
    ensure!(
        used <= image.capacity,
        "the files take {used} bytes, more than the card's capacity of {}",
        image.capacity
    );
    Ok(Stored {
        profile,
        capacity: image.capacity,
        mf,
    })
}

fn children_from_image(
    nodes: Vec<ImageNode>,
    parent: &str,
    names: &mut Vec<Vec<u8>>,
) -> anyhow::Result<Vec<Node>> {
    let mut children: Vec<Node> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let child = match node {
            ImageNode::Df {
                fid,
                name,
                children,
            } => {
                let path = format!("{parent}/{fid}");
                let name = match name {
                    None => None,
                    Some(name) => {
                        let name = hex::decode(&name)
                            .with_context(|| format!("DF {path}: name {name:?} is not hex"))?;
                        ensure!(
                            (1..=16).contains(&name.len()),
                            "DF {path}: a DF name has 1 to 16 bytes"
                        );
                        ensure!(
                            !names.contains(&name),
                            "DF {path}: name {} is used twice",
                            hex::encode(&name)
                        );
                        names.push(name.clone());
                        Some(name)
                    }
                };
                Node::Df(Df {
                    fid: parse_fid(&fid, parent)?,
                    name,
                    children: children_from_image(children, &path, names)?,
                })
            }
            ImageNode::Ef { fid, sfi, data } => {
                let path = format!("{parent}/{fid}");
                if let Some(sfi) = sfi {
                    ensure!(
                        (1..=30).contains(&sfi),
                        "EF {path}: short identifier {sfi} is not 1 to 30"
                    );
                    ensure!(
                        !children
                            .iter()
                            .any(|c| matches!(c, Node::Ef(e) if e.sfi == Some(sfi))),
                        "EF {path}: short identifier {sfi} is used twice in {parent}"
                    );
                }
                Node::Ef(Ef {
                    fid: parse_fid(&fid, parent)?,
                    sfi,
                    data: hex::decode(&data)
                        .with_context(|| format!("EF {path}: the contents are not hex"))?,
                })
            }
        };
        ensure!(
            !children.iter().any(|c| c.fid() == child.fid()),
            "{parent}: file {:04x} is there twice",
            child.fid()
        );
        children.push(child);
    }
    Ok(children)
}

fn parse_fid(text: &str, parent: &str) -> anyhow::Result<u16> {
    let fid = match hex::decode(text).as_deref() {
        Ok([hi, lo]) => u16::from_be_bytes([*hi, *lo]),
        _ => bail!("{parent}: file identifier {text:?} is not 4 hex digits"),
    };
    ensure!(
        !reserved_fid(fid),
        "{parent}: file identifier {text} is reserved"
    );
    Ok(fid)
}

/// Loads the image at `path`; `None` when there is no such file.
///
/// # Errors
/// The file cannot be read, or is not a valid image (naming the file).
pub(crate) fn load(path: &Path) -> anyhow::Result<Option<Stored>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the card image {}", path.display()))
        }
    };
    from_json(&text)
        .map(Some)
        .with_context(|| format!("damaged card image {}", path.display()))
}

/// Writes the image atomically: a temporary file beside it, then a rename over it.
///
/// # Errors
/// The temporary file cannot be written or renamed.
pub(crate) fn save(path: &Path, stored: &Stored) -> std::io::Result<()> {
    let temp = temp_path(path);
    std::fs::write(&temp, to_json(stored)?)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// `dir/.name.tmp` for `dir/name`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "card-image".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.tmp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Stored {
        let mut mf = Df::mf();
        mf.children.push(Node::Ef(Ef {
            fid: 0x2F00,
            sfi: Some(30),
            data: vec![0x61, 0],
        }));
        mf.children.push(Node::Df(Df {
            fid: 0x5000,
            name: Some(vec![0xA0, 0, 0, 1]),
            children: vec![Node::Ef(Ef {
                fid: 0x5001,
                sfi: None,
                data: vec![0; 10],
            })],
        }));
        Stored {
            profile: VirtualCardProfile::Foreign,
            capacity: 100,
            mf,
        }
    }

    #[test]
    fn round_trip() {
        let stored = sample();
        let text = to_json(&stored).unwrap();
        assert!(text.contains("\"profile\": \"foreign\""), "{text}");
        assert!(text.contains("\"fid\": \"2f00\""), "{text}");
        assert_eq!(from_json(&text).unwrap(), stored);
    }

    #[test]
    fn damaged_images_are_refused_with_a_reason() {
        let good = to_json(&sample()).unwrap();
        let cases = [
            (String::new(), "not a virtual card image"),
            ("{}".to_owned(), "not a virtual card image"),
            (
                good[..good.len() / 2].to_owned(),
                "not a virtual card image",
            ),
            (good.replace("foreign", "smart"), "unknown card profile"),
            (
                good.replace("\"version\": 1", "\"version\": 9"),
                "version 9",
            ),
            (good.replace("\"5001\"", "\"50\""), "not 4 hex digits"),
            (good.replace("\"5001\"", "\"3fff\""), "reserved"),
            (good.replace("0000000000", "zz00000000"), "not hex"),
            (
                good.replace("\"capacity\": 100", "\"capacity\": 5"),
                "capacity",
            ),
            (
                good.replace("\"sfi\": 30", "\"sfi\": 31"),
                "short identifier",
            ),
            (good.replace("\"a0000001\"", "\"\""), "1 to 16 bytes"),
        ];
        for (text, reason) in cases {
            assert_ne!(text, good, "{reason}: the test case changes nothing");
            let e = from_json(&text).unwrap_err();
            assert!(format!("{e:#}").contains(reason), "{e:#} / {reason}");
        }
        // The same FID in two DFs is fine: only files in one DF must differ.
        assert!(from_json(&good.replace("\"5001\"", "\"2f00\"")).is_ok());
    }

    #[test]
    fn duplicates_are_refused() {
        let mut stored = sample();
        stored.mf.children.push(Node::Ef(Ef {
            fid: 0x2F00,
            sfi: None,
            data: vec![],
        }));
        let e = from_json(&to_json(&stored).unwrap()).unwrap_err();
        assert!(format!("{e:#}").contains("there twice"), "{e:#}");

        let mut stored = sample();
        stored.mf.children.push(Node::Ef(Ef {
            fid: 0x2F01,
            sfi: Some(30),
            data: vec![],
        }));
        let e = from_json(&to_json(&stored).unwrap()).unwrap_err();
        assert!(format!("{e:#}").contains("used twice"), "{e:#}");

        let mut stored = sample();
        stored.mf.children.push(Node::Df(Df {
            fid: 0x6000,
            name: Some(vec![0xA0, 0, 0, 1]),
            children: vec![],
        }));
        let e = from_json(&to_json(&stored).unwrap()).unwrap_err();
        assert!(format!("{e:#}").contains("used twice"), "{e:#}");
    }

    #[test]
    fn save_and_load_files() {
        let dir = std::env::temp_dir().join(format!("card-agent-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("card.json");
        let _ = std::fs::remove_file(&path);
        assert_eq!(load(&path).unwrap(), None);
        save(&path, &sample()).unwrap();
        assert_eq!(load(&path).unwrap(), Some(sample()));
        assert!(!temp_path(&path).exists());
        std::fs::write(&path, b"{\"format\"").unwrap();
        let e = load(&path).unwrap_err();
        assert!(format!("{e:#}").contains("damaged card image"), "{e:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
