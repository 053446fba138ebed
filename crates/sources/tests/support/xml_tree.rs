//! An EVTX record's XML as a tree, for the tests that render it in other
//! tools' shapes.
// Each test crate uses a part of this.
#![allow(dead_code)]

use quick_xml::events::Event as Xml;

/// An XML element.
#[derive(Debug, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

pub fn parse(xml: &str) -> Element {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader.read_event().unwrap() {
            Xml::Start(start) => stack.push(element_of(&start)),
            Xml::Empty(start) => {
                let element = element_of(&start);
                stack.last_mut().unwrap().children.push(element);
            }
            Xml::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Xml::Text(text) => stack.last_mut().unwrap().text.push_str(&text.into_inner()),
            Xml::GeneralRef(r) => {
                let top = stack.last_mut().unwrap();
                match r.resolve_char_ref().unwrap() {
                    Some(c) => top.text.push(c),
                    None => top.text.push_str(match r.as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "apos" => "'",
                        "quot" => "\"",
                        other => panic!("entity {other}"),
                    }),
                }
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    stack.pop().unwrap().children.pop().unwrap()
}

fn element_of(start: &quick_xml::events::BytesStart<'_>) -> Element {
    Element {
        name: start.local_name().as_ref().to_owned(),
        attributes: start
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                let value = a
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap();
                (a.key.as_ref().to_owned(), value.into_owned())
            })
            .collect(),
        ..Element::default()
    }
}

pub fn child<'a>(element: &'a Element, name: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.name == name)
}

pub fn attribute(element: Option<&Element>, name: &str) -> Option<String> {
    element?
        .attributes
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}
