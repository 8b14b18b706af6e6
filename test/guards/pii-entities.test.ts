import { describe, expect, it } from 'vitest';
import { createPiiDetector } from '../../guards/pii/index.js';
import { isHeldOut, loadPresidio, negativeCorpus, scoreEntities } from '../../guards/pii/eval/entities-eval.js';

const detector = createPiiDetector();
const found = (text: string) => detector.detect(text).map((f) => `${f.category}:${text.slice(f.start, f.end)}`);

describe('names, places, organisations and addresses without a model (lexicons + context rules)', () => {
  it('finds them in ordinary sentences, by default', () => {
    expect(found('My name is Sigurlaug Karlsdóttir')).toContain('person:Sigurlaug Karlsdóttir');
    expect(found('Please ask Mr. Baader, he grew up in Remniku.')).toEqual(expect.arrayContaining(['person:Baader', 'location:Remniku']));
    expect(found('Please update the billing address with 2437 Main St Apt. 12 for this card')).toContain('street_address:2437 Main St Apt. 12');
    expect(found('The office is at Wingertweg 126, 8000 Zürich.')).toEqual(expect.arrayContaining([expect.stringMatching(/^street_address:Wingertweg 126/)]));
    expect(found('I used to work for Stillwater Supercomputing Inc. as a clerk')).toContain('organization:Stillwater Supercomputing Inc.');
    expect(found("I'm travelling to Norway next week")).toContain('location:Norway');
  });

  it('leaves product names, months, languages and version strings alone', () => {
    for (const t of [
      // Read as persons before: a surname-like software word ("Kafka") made "Apache Kafka" one, and the list passed
      // it on; a first name before a term ("Max Pooling").
      'Apache Kafka, Elastic Search and Redis Streams compared for event sourcing.',
      'The Max Pooling layer reduces spatial dimensions.',
      'Gemini Ultra and Claude both beat Llama 3 on this benchmark.', 'Release 2.4.1 ships in April.',
      'Translate this German text into English.', 'Firmware v4.3.2.1 fixes the boot loop.', 'Route 66 is 2448 miles long.',
      'Use the String 5 times.', 'Windows 11 and Python 3.12 are required.', 'Meta AI and Mistral AI released new models.',
      'I DON\'T KNOW WHAT TO PRESS NEXT', 'The Country Club opens at noon.',
    ]) expect(found(t), t).toEqual([]);
  });

  it('reads names in their usual shapes: middle initials, possessives, signature lines, streets named after people', () => {
    expect(found('Have you been to a Ravil G Yefimov concert before?')).toContain('person:Ravil G Yefimov');
    expect(found("Wisława Szczepańska's killers sentenced to life")).toContain('person:Wisława Szczepańska');
    expect(found('Einojuhani Pyysalo\n\nLocal transport planner')).toContain('person:Einojuhani Pyysalo');
    expect(found('Ask the driver to stop at the corner of Main St. and Waechter Turnpike')).toContain('street_address:Waechter Turnpike');
    expect(found('Kevin had given Alma his address')).toEqual(expect.arrayContaining(['person:Kevin', 'person:Alma']));
  });

  it('reads a name after a capitalised role or verb, and before a parenthesis, as the name alone', () => {
    // Before: the first two found nothing (the run "Customer Jane Cooper" had no cue after it), the third reported
    // "Customer Jane Cooper", the fourth a location.
    expect(found('Customer Jane Cooper (jane.cooper@example.com) says her order arrived damaged.')).toEqual(['person:Jane Cooper', 'email:jane.cooper@example.com']);
    expect(found('Our CEO Anna Kowalski will speak at the event.')).toEqual(['person:Anna Kowalski']);
    expect(found('Employee Peter Miller reported it.')).toEqual(['person:Peter Miller']);
    expect(found('Driver Carlos Rodriguez was late again.')).toEqual(['person:Carlos Rodriguez']);
    expect(found('Ask Jane Cooper (she knows).')).toEqual(['person:Jane Cooper']);
    // A first name that is also a word, then a name that is none; a company's last word before a full stop.
    expect(found('Rose Tyler moved from London to Cardiff.')).toEqual(['person:Rose Tyler', 'location:London', 'location:Cardiff']);
    expect(found('We switched our supplier to Blue Harbor Logistics.')).toEqual(['organization:Blue Harbor Logistics']);
    expect(found('The contract between Northwind Traders and Contoso Ltd. was signed.')).toEqual(['organization:Northwind Traders', 'organization:Contoso Ltd.']);
    // Runs that are a place's or an organisation's name keep their first word.
    expect(found('I work at Royal Bank of Canada.')).not.toContain('person:Bank');
  });

  it('reads continental addresses: a street word on its own, and the postcode and town after it on the line', () => {
    // Before: "Berliner Straße 12" and "Kölner Str. 7" were no address (only the town was reported), "Paris" after a
    // postcode was read as a person, and an address after "live at" ran on into "and my".
    expect(found('Refund request from customer Hannah Schmidt, Berliner Straße 12, 10115 Berlin.')).toEqual(['person:Hannah Schmidt', 'street_address:Berliner Straße 12, 10115 Berlin']);
    expect(found('Kölner Str. 7, 40211 Düsseldorf')).toEqual(['street_address:Kölner Str. 7, 40211 Düsseldorf']);
    expect(found('Große Hamburger Straße 2')).toEqual(['street_address:Große Hamburger Straße 2']);
    expect(found('Rue de la Paix 10, 75002 Paris')).toEqual(['street_address:Rue de la Paix 10, 75002 Paris']);
    expect(found('I live at 742 Evergreen Terrace, Springfield and my neighbour is Ned.')).toEqual(['street_address:742 Evergreen Terrace, Springfield', 'person:Ned']);
    // A street word without a number after it is no address.
    expect(found('The Berliner Straße is long.').filter((f) => f.startsWith('street_address'))).toEqual([]);
  });

  it('reads lower-cased text where a strong cue or the lexicons say so, and leaves ordinary lower-cased prose alone', () => {
    expect(found('hi, my name is sigrid lindqvist and i live in oslo')).toEqual(['person:sigrid lindqvist', 'location:oslo']);
    expect(found('please email the invoice to stillwater supercomputing inc. by friday')).toContain('organization:stillwater supercomputing inc.');
    expect(found('can you explain how max pooling works in a dev container?')).toEqual([]);
    expect(found('the coral reef is home to many species, among them turtles')).toEqual([]);
  });

  it('reads surname endings, relations and roles as cues for a name in no lexicon', () => {
    expect(found('The report was signed by Tuomas Hämäläinen.')).toContain('person:Tuomas Hämäläinen');
    expect(found('my cousin Warrane is visiting')).toContain('person:Warrane');
  });

  it('gives the members of a list the kind of the one it knows, and reads brand-like coined words as organisations', () => {
    expect(found('Dear Anna and Warrane, thanks for coming.')).toEqual(['person:Anna', 'person:Warrane']);
    expect(found('We buy from Zentrix and Loveland Technologies.')).toContain('organization:Zentrix');
    expect(found("We'll meet Monday at Brightpath, then lunch.")).toEqual(['organization:Brightpath']);
    expect(found('Send it to Anna Nowak, Kraków.')).toEqual(['person:Anna Nowak', 'location:Kraków']);
  });

  it('reads organisations by what is said of them and by "&"', () => {
    expect(found('I audit for Ernst & Young and Procter & Gamble.')).toEqual(['organization:Ernst & Young', 'organization:Procter & Gamble']);
    expect(found('Please close my Zentrix account today.')).toEqual(['organization:Zentrix']);
    expect(found('She is a data analyst at Brightwell, mostly remote.')).toContain('organization:Brightwell');
    expect(found('Tom & Jerry is a cartoon')).not.toContain(expect.stringMatching(/^organization:/));
  });

  it('reads organisations by their shape: "University of", "and Sons", a lead word before a legal form, company words', () => {
    expect(found('She teaches at the Conservatory of Zentrix now.')).toContain('organization:Conservatory of Zentrix');
    expect(found('He studied at the University of Oslo.')).toEqual(['location:Oslo']); // the place is what identifies
    expect(found('The deeds are with Smith and Sons.')).toContain('organization:Smith and Sons');
    expect(found('Hanne Kreutzmann from Can Capital is speaking.')).toContain('organization:Can Capital');
    expect(found('Our data sits in Collibra, they said.')).toContain('organization:Collibra');
  });

  it('reads a lone word in no lexicon after a preposition that takes organisations, but not a tool, an author or code', () => {
    expect(found('The track was recorded for Xyloqent in 1998.')).toEqual(['organization:Xyloqent']);
    expect(found('She got a grant from Xyloqent last year.')).toEqual(['organization:Xyloqent']);
    expect(found('She interns at Xyloqent this summer.')).toEqual(['organization:Xyloqent']);
    expect(found('The GPU is driven with Vulkan here.')).toEqual([]);
    expect(found('Disable the use of Nagle\'s algorithm.')).toEqual([]);
    expect(found('It is defined in /usr/lib/Xyloqent.so by default.')).toEqual([]);
  });

  it('reads the line under a signer and a job title as the organisation, not a repeated name', () => {
    expect(found('Regards,\nAlma Jensen\nSenior planner\nXyloqent\n')).toContain('organization:Xyloqent');
    expect(found('> Alma Jensen\n> Xyloqent\n> Alma Jensen\n')).toEqual(['person:Alma Jensen', 'organization:Xyloqent', 'person:Alma Jensen']);
  });

  it('reads what follows a possessive or a full stop as a run of its own', () => {
    expect(found("Owens and Oneal's Mrs. Kathrine Filemonsen phoned")).toContain('person:Kathrine Filemonsen');
    expect(found('My grandfather was called Kevin Veitonen II, and he farmed.')).toContain('person:Kevin Veitonen II');
  });

  it('reads a place name that is also a given name by what follows it', () => {
    expect(found('Nora is very reliable.')).toEqual(['person:Nora']);
    expect(found('The club is in Nora, near the lake.')).toEqual(['location:Nora']);
  });

  // Floors a little under the measured figures (docs/guards.md), on templates never used to write the rules.
  it('meets recall and precision floors on the held-out templates of the presidio sample', () => {
    const scores = Object.fromEntries(scoreEntities(loadPresidio().filter(isHeldOut), detector).map((s) => [s.entity, s]));
    const floors: Record<string, [number, number]> = {
      PERSON: [0.85, 0.92], STREET_ADDRESS: [0.89, 0.99], GPE: [0.89, 0.93], ORGANIZATION: [0.85, 0.95],
    };
    for (const [entity, [recall, precision]] of Object.entries(floors)) {
      expect.soft(scores[entity].recall, `${entity} recall`).toBeGreaterThanOrEqual(recall);
      expect.soft(scores[entity].precision, `${entity} precision`).toBeGreaterThanOrEqual(precision);
    }
  });

  it('reports few findings on the negative prose corpus', () => {
    const paras = negativeCorpus();
    expect(paras.length).toBeGreaterThan(800);
    const hits = paras.flatMap((p) => detector.detect(p).filter((f) => ['person', 'location', 'organization', 'street_address'].includes(f.category)));
    expect(hits.length).toBeLessThanOrEqual(21);
  });
});
